package io.damselfly.engine.resp;

import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NumbersTest {
    private static boolean parses(String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        return Numbers.parseLong(b, 0, b.length, new Numbers.LongResult());
    }

    private static long parse(String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        Numbers.LongResult r = new Numbers.LongResult();
        assertTrue(Numbers.parseLong(b, 0, b.length, r), s);
        return r.value;
    }

    @Test
    void string2llRules() {
        assertEquals(0, parse("0"));
        assertEquals(-5, parse("-5"));
        assertEquals(Long.MAX_VALUE, parse("9223372036854775807"));
        assertEquals(Long.MIN_VALUE, parse("-9223372036854775808"));
        for (String bad : new String[] {"", "-", "01", "-0", "+1", " 1", "1 ", "9223372036854775808", "1a", "1.0"}) {
            assertFalse(parses(bad), bad);
        }
    }

    @Test
    void writesLongs() {
        byte[] b = new byte[24];
        for (long v : new long[] {0, 7, -7, 10, 1234567890123L, Long.MAX_VALUE, Long.MIN_VALUE}) {
            int end = Numbers.writeLong(b, 0, v);
            assertEquals(Long.toString(v), new String(b, 0, end, StandardCharsets.US_ASCII));
            assertEquals(end, Numbers.longLength(v));
        }
    }

    @Test
    void humanLongDoubles() {
        assertEquals("10.5", Numbers.formatHumanLongDouble(new BigDecimal("10.5")));
        assertEquals("3", Numbers.formatHumanLongDouble(new BigDecimal("3.00")));
        assertEquals("0", Numbers.formatHumanLongDouble(new BigDecimal("-0.0")));
        assertEquals("17179869185.5", Numbers.formatHumanLongDouble(new BigDecimal("17179869185.5")));
    }

    @Test
    void doublesRejectSpacesAndNan() {
        byte[] ok = "1.5e3".getBytes(StandardCharsets.US_ASCII);
        assertEquals(1500.0, Numbers.parseDouble(ok, 0, ok.length));
        for (String bad : new String[] {" 1", "1 ", "nan", "abc", ""}) {
            byte[] b = bad.getBytes(StandardCharsets.US_ASCII);
            assertTrue(Double.isNaN(Numbers.parseDouble(b, 0, b.length)), bad);
        }
        byte[] inf = "+inf".getBytes(StandardCharsets.US_ASCII);
        assertTrue(Double.isInfinite(Numbers.parseDouble(inf, 0, inf.length)));
    }
}
