package io.damselfly.server;

import io.damselfly.engine.exec.Message;
import io.damselfly.engine.exec.Worker;

/** Messages between proactors about connections (not commands). */
final class ServerMessages {
    private ServerMessages() {
    }

    private static Proactor proactor(Worker w) {
        return (Proactor) w.attachment();
    }

    /** Take this connection: a new client, or one handed over from another proactor. */
    static final class Adopt extends Message {
        private final Connection connection;

        Adopt(Connection connection) {
            this.connection = connection;
        }

        @Override
        public void deliver(Worker worker) {
            proactor(worker).adopt(connection);
        }
    }

    /** Close this connection (CLIENT KILL from another thread). */
    static final class Kill extends Message {
        private final Connection connection;

        Kill(Connection connection) {
            this.connection = connection;
        }

        @Override
        public void deliver(Worker worker) {
            Proactor p = proactor(worker);
            if (connection.owner == p) {
                p.close(connection);
            } else if (!connection.closed()) {
                // it moved meanwhile: follow it
                p.server.send(connection.home(), this);
            }
        }
    }

    /** A MONITOR line for a monitor connection of this proactor. */
    static final class MonitorLine extends Message {
        private final Connection monitor;
        private final byte[] line;

        MonitorLine(Connection monitor, byte[] line) {
            this.monitor = monitor;
            this.line = line;
        }

        @Override
        public void deliver(Worker worker) {
            if (monitor.closed() || monitor.owner != proactor(worker)) {
                return;
            }
            monitor.output().write(line);
            worker.markForFlush(monitor);
        }
    }
}
