package io.damselfly.engine.exec;

/**
 * Work handed from one worker thread to another through the receiver's MPSC inbox. The offer
 * into the queue is a release and the poll an acquire, so everything the sender wrote before
 * sending (buffers, offsets, fields of the message) is visible to the receiver. A message is
 * owned by one thread at a time: whoever holds it last received it.
 */
public abstract class Message {
    /** Runs on the receiving worker's thread. */
    public abstract void deliver(Worker worker);
}
