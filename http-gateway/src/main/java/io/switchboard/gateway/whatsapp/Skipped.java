package io.switchboard.gateway.whatsapp;

import java.util.Objects;

/**
 * A part of a webhook body that was not turned into a message or a status, and why: either it is
 * not customer input (another {@code field}, echoes, error notifications) or it is malformed. Meant
 * for logs and metrics; the rest of the body is still processed.
 *
 * @param where the JSON path of the part, for example {@code entry[0].changes[1]} or
 *     {@code entry[0].changes[0].value.messages[3]}
 * @param reason a short human-readable reason
 */
public record Skipped(String where, String reason) {
  public Skipped {
    Objects.requireNonNull(where, "where");
    Objects.requireNonNull(reason, "reason");
  }
}
