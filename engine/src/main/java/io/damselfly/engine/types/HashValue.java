package io.damselfly.engine.types;

import io.damselfly.engine.shard.LargeValue;

/** A large hash: field → value in a {@link BytesMap} (OBJECT ENCODING hashtable). */
public final class HashValue implements LargeValue {
    public final BytesMap map;

    public HashValue() {
        this(new BytesMap());
    }

    private HashValue(BytesMap map) {
        this.map = map;
    }

    @Override
    public HashValue copy() {
        return new HashValue(map.copy(v -> ((byte[]) v).clone()));
    }

    @Override
    public long size() {
        return map.size();
    }

    @Override
    public long memory() {
        return 16 + map.memory();
    }
}
