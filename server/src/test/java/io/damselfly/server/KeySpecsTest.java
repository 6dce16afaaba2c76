package io.damselfly.server;

import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisDataException;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Key specifications as a real redis-server 7.0 reports them: COMMAND INFO's key specs of every
 * command both servers have (notes aside: those are Redis's prose), and COMMAND GETKEYSANDFLAGS
 * for commands whose flags differ per key or depend on their arguments.
 */
class KeySpecsTest {
    @Test
    void commandInfoKeySpecsMatchRedis() throws Exception {
        try (RealRedis redis = new RealRedis(Files.createTempDirectory("keyspecs-redis"));
             TestServer s = new TestServer();
             Jedis r = redis.jedis(); Jedis d = s.jedis()) {
            Calls cr = new Calls(r);
            Calls cd = new Calls(d);
            int compared = 0;
            for (Object o : cd.list("command", "list")) {
                String name = (String) o;
                List<Object> theirs = cr.list("command", "info", name);
                if (theirs.get(0) == null) {
                    continue; // a command of Damselfly's own
                }
                List<Object> ours = cd.list("command", "info", name);
                assertEquals(withoutNotes(entry(theirs).get(8)), entry(ours).get(8), name);
                // and the legacy key positions, with the movablekeys flag derived from the specs
                assertEquals(entry(theirs).subList(3, 6), entry(ours).subList(3, 6), name + " first/last/step");
                assertEquals(((List<?>) entry(theirs).get(2)).contains("movablekeys"),
                        ((List<?>) entry(ours).get(2)).contains("movablekeys"), name + " movablekeys");
                List<?> subsTheirs = (List<?>) entry(theirs).get(9);
                List<?> subsOurs = (List<?>) entry(ours).get(9);
                for (Object sub : subsOurs) {
                    String subName = (String) ((List<?>) sub).get(0);
                    for (Object t : subsTheirs) {
                        if (((List<?>) t).get(0).equals(subName)) {
                            assertEquals(withoutNotes(((List<?>) t).get(8)), ((List<?>) sub).get(8), subName);
                            compared++;
                        }
                    }
                }
                compared++;
            }
            assertTrue(compared > 200, "compared " + compared);
        }
    }

    @Test
    void getKeysAndFlagsMatchRedis() throws Exception {
        try (RealRedis redis = new RealRedis(Files.createTempDirectory("keyspecs-redis"));
             TestServer s = new TestServer();
             Jedis r = redis.jedis(); Jedis d = s.jedis()) {
            Calls cr = new Calls(r);
            Calls cd = new Calls(d);
            String[][] commands = {
                {"set", "k1", "v1"}, {"set", "k1", "v1", "get"}, {"mset", "k1", "v1", "k2", "v2"},
                {"lmove", "k1", "k2", "left", "right"}, {"rpoplpush", "a", "b"}, {"sort", "k1", "store", "k2"},
                {"sort", "k1", "by", "w_*", "limit", "0", "1", "store", "k2"}, {"bitfield", "k", "get", "u8", "0"},
                {"bitfield", "k", "incrby", "u8", "0", "1"}, {"bitfield_ro", "k", "get", "u8", "0"},
                {"del", "a", "b", "c"}, {"getdel", "a"}, {"zunionstore", "d", "2", "a", "b", "weights", "1", "2"},
                {"zinterstore", "d", "2", "a", "b"}, {"zdiffstore", "d", "2", "a", "b"}, {"zrangestore", "d", "s", "0", "-1"},
                {"sinterstore", "d", "a", "b"}, {"smove", "a", "b", "m"}, {"copy", "a", "b"}, {"rename", "a", "b"},
                {"renamenx", "a", "b"}, {"bitop", "and", "d", "a", "b"}, {"lmpop", "2", "a", "b", "left"},
                {"zmpop", "1", "a", "min"}, {"blmpop", "0", "2", "a", "b", "left"}, {"bzpopmin", "a", "b", "0"},
                {"blpop", "a", "b", "0"}, {"brpoplpush", "a", "b", "0"}, {"blmove", "a", "b", "left", "left", "0"},
                {"getex", "a", "persist"}, {"incr", "a"}, {"hset", "h", "f", "v"}, {"sintercard", "2", "a", "b"},
                {"zintercard", "2", "a", "b"}, {"object", "encoding", "a"}, {"memory", "usage", "a"},
                {"touch", "a", "b"}, {"unlink", "a", "b"}, {"exists", "a", "b"}, {"watch", "a", "b"},
                {"pfcount", "a"}, {"restore", "a", "0", "x"}, {"msetnx", "a", "1", "b", "2"}, {"lpos", "a", "x"},
                {"georadius", "g", "0", "0", "1", "km", "store", "d"},
            };
            for (String[] cmd : commands) {
                List<String> args = new ArrayList<>(List.of("command", "getkeysandflags"));
                args.addAll(List.of(cmd));
                String[] a = args.toArray(new String[0]);
                if (cmd[0].startsWith("pf") || cmd[0].startsWith("geo")) {
                    // HyperLogLog and geo are out of scope: Damselfly has no such command
                    assertEquals("error: ERR Invalid command specified", reply(cd, a));
                    continue;
                }
                assertEquals(reply(cr, a), reply(cd, a), String.join(" ", cmd));
            }
        }
    }

    private static List<?> entry(List<Object> info) {
        return (List<?>) info.get(0);
    }

    /** A key spec reply without its "notes" pair. */
    private static Object withoutNotes(Object specs) {
        List<Object> out = new ArrayList<>();
        for (Object spec : (List<?>) specs) {
            List<?> pairs = (List<?>) spec;
            List<Object> kept = new ArrayList<>();
            for (int i = 0; i < pairs.size(); i += 2) {
                if (!"notes".equals(pairs.get(i))) {
                    kept.add(pairs.get(i));
                    kept.add(pairs.get(i + 1));
                }
            }
            out.add(kept);
        }
        return out;
    }

    private static Object reply(Calls c, String[] args) {
        try {
            return c.call(args);
        } catch (JedisDataException e) {
            return "error: " + e.getMessage();
        }
    }
}
