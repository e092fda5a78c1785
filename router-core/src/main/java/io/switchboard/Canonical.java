package io.switchboard;

import java.util.concurrent.ConcurrentHashMap;

/**
 * One shared instance per distinct value of the few identifiers that every running conversation holds
 * (tenant, channel, team, agent ids; the teams' routing policies), so that a million conversations of
 * ten teams hold ten team strings, not a million copies: each arrives as its own copy from a request's
 * JSON, the entity id's substring or a deserialized event or snapshot (docs/PERFORMANCE.md, "Heap").
 *
 * <p>Bounded: once {@value #MAX} values are held, a new one is returned as it is (never evicted, so a
 * canonical instance stays canonical). Hand-written rather than {@link String#intern}: the JVM's string
 * table has no bound, and the policies are records, not strings.
 */
public final class Canonical {

  static final int MAX = 65_536;
  private static final ConcurrentHashMap<Object, Object> VALUES = new ConcurrentHashMap<>();

  private Canonical() {}

  /** The shared instance equal to {@code value} (null for null). */
  @SuppressWarnings("unchecked")
  public static <T> T of(T value) {
    if (value == null) return null;
    Object shared = VALUES.get(value);
    if (shared != null) return (T) shared;
    if (VALUES.size() >= MAX) return value;
    shared = VALUES.putIfAbsent(value, value);
    return shared == null ? value : (T) shared;
  }
}
