package io.damselfly.engine.command;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * Every command the server knows, looked up by name without allocating (case-insensitive
 * open addressing over the name's bytes). Each spec and subcommand gets a dense id for the
 * per-command statistics arrays.
 */
public final class CommandTable {
    private CommandSpec[] slots = new CommandSpec[512];
    private byte[][] names = new byte[512][];
    private final List<CommandSpec> commands = new ArrayList<>();
    private final List<CommandSpec> byId = new ArrayList<>();

    /** Every command family Damselfly implements. */
    public static CommandTable standard() {
        CommandTable t = new CommandTable();
        ConnectionCommands.register(t);
        ServerCommands.register(t);
        StringCommands.register(t);
        BitCommands.register(t);
        KeyCommands.register(t);
        HashCommands.register(t);
        SetCommands.register(t);
        ListCommands.register(t);
        ZSetCommands.register(t);
        TxCommands.register(t);
        PubSubCommands.register(t);
        SortCommands.register(t);
        PersistenceCommands.register(t);
        ReplicationCommands.register(t);
        return t;
    }

    public CommandTable add(CommandSpec spec) {
        if (lookup(spec.name()) != null) {
            throw new IllegalArgumentException("duplicate command " + spec.name());
        }
        commands.add(spec);
        assign(spec);
        byte[] name = spec.name().getBytes(StandardCharsets.US_ASCII);
        int mask = slots.length - 1;
        int i = hash(name, 0, name.length) & mask;
        while (slots[i] != null) {
            i = (i + 1) & mask;
        }
        slots[i] = spec;
        names[i] = name;
        if (commands.size() * 2 > slots.length) {
            rehash();
        }
        return this;
    }

    private void assign(CommandSpec spec) {
        spec.id = byId.size();
        byId.add(spec);
        for (CommandSpec sub : spec.subcommands.values()) {
            assign(sub);
        }
    }

    private void rehash() {
        CommandSpec[] old = slots;
        byte[][] oldNames = names;
        slots = new CommandSpec[old.length * 2];
        names = new byte[old.length * 2][];
        int mask = slots.length - 1;
        for (int j = 0; j < old.length; j++) {
            if (old[j] != null) {
                int i = hash(oldNames[j], 0, oldNames[j].length) & mask;
                while (slots[i] != null) {
                    i = (i + 1) & mask;
                }
                slots[i] = old[j];
                names[i] = oldNames[j];
            }
        }
    }

    private static int hash(byte[] b, int off, int len) {
        int h = len;
        for (int i = off; i < off + len; i++) {
            int c = b[i];
            if (c >= 'A' && c <= 'Z') {
                c += 32;
            }
            h = h * 31 + c;
        }
        return h ^ (h >>> 16);
    }

    public CommandSpec lookup(byte[] b, int off, int len) {
        int mask = slots.length - 1;
        int i = hash(b, off, len) & mask;
        for (;;) {
            CommandSpec s = slots[i];
            if (s == null) {
                return null;
            }
            byte[] n = names[i];
            if (n.length == len && equalsLower(n, b, off, len)) {
                return s;
            }
            i = (i + 1) & mask;
        }
    }

    private static boolean equalsLower(byte[] lower, byte[] b, int off, int len) {
        for (int k = 0; k < len; k++) {
            int c = b[off + k];
            if (c >= 'A' && c <= 'Z') {
                c += 32;
            }
            if (c != lower[k]) {
                return false;
            }
        }
        return true;
    }

    public CommandSpec lookup(String name) {
        byte[] b = name.toLowerCase(Locale.ROOT).getBytes(StandardCharsets.UTF_8);
        return lookup(b, 0, b.length);
    }

    /** Resolves "client|list" style full names too. */
    public CommandSpec lookupFull(String fullName) {
        int bar = fullName.indexOf('|');
        if (bar < 0) {
            return lookup(fullName);
        }
        CommandSpec parent = lookup(fullName.substring(0, bar));
        return parent == null ? null : parent.subcommands.get(fullName.substring(bar + 1).toLowerCase(Locale.ROOT));
    }

    /** Top-level commands in registration order. */
    public List<CommandSpec> commands() {
        return Collections.unmodifiableList(commands);
    }

    /** Number of ids handed out (commands and subcommands). */
    public int idCount() {
        return byId.size();
    }

    public CommandSpec byId(int id) {
        return byId.get(id);
    }
}
