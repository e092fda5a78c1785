package io.switchboard.routing.rules;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Immutable copies for the rule records. Unlike {@code List.copyOf} they keep null elements, so a
 * configuration with {@code ["a", null]} reaches {@link RulesValidator} and is refused with the rule's
 * name instead of failing inside the JSON reader; maps keep their order (headers, field mappings).
 */
final class Copies {
  private Copies() {
  }

  /** An unmodifiable copy, empty for null. */
  static <T> List<T> list(List<T> list) {
    return list == null ? List.of() : Collections.unmodifiableList(new ArrayList<>(list));
  }

  /** An unmodifiable copy, null kept (where "absent" and "empty" mean different things). */
  static <T> List<T> listOrNull(List<T> list) {
    return list == null ? null : Collections.unmodifiableList(new ArrayList<>(list));
  }

  /** An unmodifiable copy in the given order, empty for null. */
  static <K, V> Map<K, V> map(Map<K, V> map) {
    return map == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(map));
  }

  /** An unmodifiable copy in the given order (so decisions and events are deterministic), empty for null. */
  static <T> Set<T> set(Set<T> set) {
    return set == null ? Set.of() : Collections.unmodifiableSet(new LinkedHashSet<>(set));
  }
}
