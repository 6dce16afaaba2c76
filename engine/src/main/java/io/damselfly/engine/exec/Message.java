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

    /**
     * Whether this carries commands of a client that another worker serves (a run, a part of a
     * transaction): its next one tends to follow soon after the answer, so a receiver that gets
     * only these may poll for it rather than sleep. Other work (a replica's writes, control) does
     * not say when more comes.
     */
    public boolean fromClient() {
        return false;
    }
}
