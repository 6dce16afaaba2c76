package io.damselfly.engine.command;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Random picks from a collection for HRANDFIELD, SRANDMEMBER and ZRANDMEMBER, with Redis's
 * count semantics: a positive count picks that many distinct elements (all of them when the
 * collection is smaller), a negative count picks its magnitude with repeats. Elements are
 * emitted one by one so that a huge negative count never builds a list.
 */
final class RandomPick {
    private RandomPick() {
    }

    /** How many elements a pick of {@code count} from {@code size} emits. */
    static long replyLength(long count, long size) {
        return count < 0 ? -count : Math.min(count, size);
    }

    /**
     * Emits {@link #replyLength} elements. {@code randomOne} draws one element uniformly (null
     * when the collection cannot, as for compact encodings); {@code all} lists every element.
     */
    static <T> void pick(long count, int size, Supplier<T> randomOne, Supplier<List<T>> all, Consumer<T> emit) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        if (count < 0) {
            List<T> list = randomOne == null ? all.get() : null;
            for (long i = 0; i < -count; i++) {
                emit.accept(list == null ? randomOne.get() : list.get(random.nextInt(size)));
            }
            return;
        }
        if (count >= size) {
            all.get().forEach(emit);
            return;
        }
        if (randomOne != null && count * 3 <= size) {
            // few out of many: draw until enough distinct ones came up
            IdentityHashMap<T, Boolean> seen = new IdentityHashMap<>();
            List<T> order = new ArrayList<>((int) count);
            while (order.size() < count) {
                T t = randomOne.get();
                if (seen.put(t, Boolean.TRUE) == null) {
                    order.add(t);
                }
            }
            order.forEach(emit);
            return;
        }
        List<T> list = new ArrayList<>(all.get());
        for (int i = 0; i < count; i++) {
            int j = i + random.nextInt(list.size() - i);
            T t = list.get(j);
            list.set(j, list.get(i));
            list.set(i, t);
            emit.accept(t);
        }
    }
}
