package io.damselfly.repl.snapshot;

/**
 * A piece of one shard's snapshot stream, handed from the shard thread to the walker.
 *
 * @param data     the bytes, {@code [0, length)}
 * @param boundary the chunk ends between two entries (otherwise the next chunk of the same
 *                 shard continues a large value, and nothing else may come between them)
 * @param startDb  the database the shard's stream was in when the chunk began (-1: none yet)
 * @param endDb    the database at the chunk's end
 * @param batchEnd the last chunk of a batch the walker asked for
 * @param last     the shard has no more buckets for this cut
 * @param keys     how many entries begin in the chunk
 * @param nanos    on a batch's last chunk, the shard time the batch took
 * @param tag      for a flow's snapshot, the shard's journal LSN when the chunk's first byte was
 *                 written: every record up to it was made before any entry of the chunk
 */
record Chunk(byte[] data, int length, boolean boundary, int startDb, int endDb, boolean batchEnd, boolean last,
        int keys, long nanos, long tag) {
}
