package io.switchboard;

/** Marker for every message, event and state that crosses the wire or the journal: bound to jackson-cbor. */
public interface CborSerializable {}
