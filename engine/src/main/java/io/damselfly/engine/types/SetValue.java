package io.damselfly.engine.types;

import io.damselfly.engine.shard.LargeValue;

/** A large set: members in a {@link BytesMap} without values (OBJECT ENCODING hashtable). */
public final class SetValue implements LargeValue {
    public final BytesMap map;

    public SetValue() {
        this(new BytesMap());
    }

    private SetValue(BytesMap map) {
        this.map = map;
    }

    @Override
    public SetValue copy() {
        return new SetValue(map.copy(null));
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
