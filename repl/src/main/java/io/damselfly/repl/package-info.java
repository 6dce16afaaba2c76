/**
 * Snapshots, the RDB codec and persistence; replication later. Depends on the engine only:
 * it reaches shard data through tasks posted to the owning shard (DESIGN.md, "Threads").
 */
package io.damselfly.repl;
