package io.damselfly.engine.exec;

/** Delivers messages to workers: the server's inboxes, or a test's single-threaded loop. */
public interface Router {
    /** Hands {@code message} to worker {@code target}; called from any worker thread. */
    void send(int target, Message message);
}
