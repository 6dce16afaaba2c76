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

    /** Take this connection out of the event loop for blocking output (a full sync). */
    static final class TakeOver extends Message {
        private final Connection connection;
        private final io.damselfly.engine.exec.Host.Takeover body;

        TakeOver(Connection connection, io.damselfly.engine.exec.Host.Takeover body) {
            this.connection = connection;
            this.body = body;
        }

        @Override
        public void deliver(Worker worker) {
            Proactor p = proactor(worker);
            if (connection.owner == p) {
                p.takeOver(connection, body);
            }
        }
    }

    /** Take this connection into the loop, driven by its pump. */
    static final class AdoptPump extends Message {
        private final Connection connection;

        AdoptPump(Connection connection) {
            this.connection = connection;
        }

        @Override
        public void deliver(Worker worker) {
            proactor(worker).adoptPump(connection);
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
            } else if (connection.owner == null && connection.home() == p.index && !connection.closed()) {
                // taken out of the loop (a replica's sync): closing its socket ends the thread
                // that drives it, which then forgets it (following it home would loop for ever)
                try {
                    connection.channel.close();
                } catch (java.io.IOException e) {
                    // gone already
                }
            } else if (!connection.closed()) {
                // it moved meanwhile: follow it
                p.server.send(connection.home(), this);
            }
        }
    }

    /** Hand this connection to another proactor once nothing of it is in flight. */
    static final class Transfer extends Message {
        private final Connection connection;
        private final int target;

        Transfer(Connection connection, int target) {
            this.connection = connection;
            this.target = target;
        }

        @Override
        public void deliver(Worker worker) {
            Proactor p = proactor(worker);
            if (connection.closed()) {
                return;
            }
            if (connection.owner != p) {
                p.server.send(connection.home(), this);
            } else if (connection.parked()) {
                // a command is away: try again after this cycle
                p.server.send(p.index, this);
            } else {
                p.transfer(connection, target);
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
