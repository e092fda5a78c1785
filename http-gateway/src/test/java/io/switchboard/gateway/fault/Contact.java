package io.switchboard.gateway.fault;

import java.util.concurrent.atomic.AtomicBoolean;

/** One contact of the fault test writing on webchat; its operations run one at a time ({@link #busy}). */
final class Contact {
  final String id;
  final String key;
  final boolean quiet;
  final AtomicBoolean busy = new AtomicBoolean(true);
  volatile int sent;
  volatile int acked;
  /** once an agent replies (or tries to), the contact writes no more: an acknowledged reply stays answered */
  volatile boolean replyAttempted;
  volatile boolean replyAcked;
  volatile boolean resolveAttempted;
  volatile boolean resolveAcked;

  Contact(String id, boolean quiet) {
    this.id = id;
    this.key = "webchat:" + id;
    this.quiet = quiet;
  }

  boolean followable() {
    return !quiet && !replyAttempted && !resolveAttempted;
  }
}

