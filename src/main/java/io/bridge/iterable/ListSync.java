package io.bridge.iterable;

/** What {@link IterableLists} needs to know of whoever keeps a static list in step, and where it counts its calls. */
public interface ListSync {

    /** The list's name in Iterable. */
    String listName();

    /** Iterable's id of the list, once found or created (else null). */
    Long listId();

    /** What the list is for, in its description. */
    String listDescription();

    /** Counts one call made to Iterable. */
    void iterableCall();
}
