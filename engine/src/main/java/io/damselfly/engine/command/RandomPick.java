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

    /** HRANDFIELD's and ZRANDMEMBER's arguments: whether a count was given, the count, and the WITH... option. */
    record Args(boolean hasCount, long count, boolean with) {
    }

    /**
     * Parses {@code key [count [option]]} as Redis 7.0 does (the option, WITHVALUES or
     * WITHSCORES, doubles the reply, so its count must stay within half the range); replies
     * with the error and returns null when they are wrong.
     */
    static Args parse(CommandContext c, String option) {
        Request r = c.req;
        if (r.argc() < 3) {
            return new Args(false, 0, false);
        }
        if (!c.rangeLong(2, -Long.MAX_VALUE, Long.MAX_VALUE, null)) {
            return null;
        }
        long count = c.number.value;
        if (r.argc() > 4 || (r.argc() == 4 && !r.is(3, option))) {
            c.syntaxError();
            return null;
        }
        boolean with = r.argc() == 4;
        if (with && (count < -Long.MAX_VALUE / 2 || count > Long.MAX_VALUE / 2)) {
            c.reply.error("ERR value is out of range");
            return null;
        }
        return new Args(true, count, with);
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
