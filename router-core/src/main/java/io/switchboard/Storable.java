package io.switchboard;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * What the journal can hold. Events are written with Jackson CBOR, which refuses a string with a
 * lone UTF-16 surrogate (the journal then rejects the event: "Rejected event"), and PostgreSQL's
 * {@code text} cannot hold NUL (U+0000), which read models and ids end up in. Every other Unicode
 * text can be stored and reads back identical, 4-byte characters and non-characters included.
 *
 * <p>The entities check each command from outside or from another entity with {@link #problemIn}
 * before handling it and refuse it ({@link #REFUSAL_CODE}) instead of persisting an event that
 * would be rejected: a rejected event stops the entity, the caller waits for its ask timeout, and
 * whatever re-sends the command (a team's offer, a conversation's request) makes it fail again.
 * The gateway checks the same, with its length limits, at the edge (400 naming the field).
 */
public final class Storable {
  private Storable() {}

  /** The refusal code of a command carrying text that cannot be stored. */
  public static final String REFUSAL_CODE = Outcome.Code.INVALID_INPUT.wire();

  /** Why {@code s} cannot be stored, or null when it can (null itself can). */
  public static String problem(String s) {
    if (s == null) return null;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == 0) return "NUL character at index " + i;
      if (Character.isHighSurrogate(c)) {
        if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
          i++;
          continue;
        }
        return "lone UTF-16 surrogate at index " + i;
      }
      if (Character.isLowSurrogate(c)) return "lone UTF-16 surrogate at index " + i;
    }
    return null;
  }

  /** A check of one string found at {@code path} (or of a map key, {@code key} true): why not, or null. */
  @FunctionalInterface
  public interface Check {
    String problem(String path, String value, boolean key);
  }

  /**
   * Why an entity cannot handle {@code command} without persisting text the journal cannot hold, or null: a
   * {@code read} never; anything else when the entity's own id cannot be stored ({@code idProblem}, of the
   * {@code kind} named in the answer), else what {@link #problemIn(Object)} finds in the command.
   */
  public static String problemOfCommand(Object command, boolean read, String kind, String idProblem) {
    if (read) return null;
    if (idProblem != null) return kind + " id: " + idProblem;
    return problemIn(command);
  }

  /** The first string of {@code value} that cannot be stored, as {@code "path: why"}, or null. */
  public static String problemIn(Object value) {
    return firstProblem(value, "", (path, s, key) -> problem(s));
  }

  /**
   * Walks {@code value}: strings, records (by component name), maps (keys and values, {@code [key]}),
   * collections and arrays ({@code [i]}), optionals; anything else (numbers, instants, enums, actor
   * references) holds no text. Answers {@code "path: why"} of the first string {@code check} refuses.
   */
  public static String firstProblem(Object value, String path, Check check) {
    if (value == null) return null;
    if (value instanceof String s) {
      String p = check.problem(path, s, false);
      return p == null ? null : name(path) + ": " + p;
    }
    if (value instanceof Map<?, ?> map) {
      for (Map.Entry<?, ?> e : map.entrySet()) {
        if (e.getKey() instanceof String k) {
          String p = check.problem(path, k, true);
          if (p != null) return name(path) + " key: " + p;
        }
        String p = firstProblem(e.getValue(), path + "[" + safe(e.getKey()) + "]", check);
        if (p != null) return p;
      }
      return null;
    }
    if (value instanceof Collection<?> list) {
      int i = 0;
      for (Object o : list) {
        String p = firstProblem(o, path + "[" + i++ + "]", check);
        if (p != null) return p;
      }
      return null;
    }
    if (value instanceof Object[] array) {
      for (int i = 0; i < array.length; i++) {
        String p = firstProblem(array[i], path + "[" + i + "]", check);
        if (p != null) return p;
      }
      return null;
    }
    if (value instanceof Optional<?> o) return o.isPresent() ? firstProblem(o.get(), path, check) : null;
    Shape shape = SHAPES.get(value.getClass());
    for (int i = 0; i < shape.accessors.size(); i++) {
      Object component;
      try {
        component = shape.accessors.get(i).invoke(value);
      } catch (Throwable t) {
        throw new IllegalStateException("cannot read " + value.getClass().getName() + "." + shape.names.get(i), t);
      }
      String p = firstProblem(component, path.isEmpty() ? shape.names.get(i) : path + "." + shape.names.get(i), check);
      if (p != null) return p;
    }
    return null;
  }

  /**
   * The {@code replyTo} of a command record whose answer is an {@link Outcome}, or null: where a
   * refused command's refusal goes.
   */
  @SuppressWarnings("unchecked")
  public static ActorRef<Outcome> outcomeReplyTo(Object command) {
    MethodHandle h = SHAPES.get(command.getClass()).outcomeReplyTo;
    if (h == null) return null;
    try {
      return (ActorRef<Outcome>) h.invoke(command);
    } catch (Throwable t) {
      throw new IllegalStateException("cannot read " + command.getClass().getName() + ".replyTo", t);
    }
  }

  /** A refused command's answer. */
  public static Outcome refusal(String problem) {
    return Outcome.refused(Outcome.Code.INVALID_INPUT, problem + " (text that cannot be stored)");
  }

  /**
   * Refuses {@code command} of entity {@code entityId}, which carries {@code problem}: its Outcome
   * {@code replyTo}, if any, is answered at once, and the refusal is logged (the value itself is not).
   */
  public static void refuse(Object command, String entityId, String problem, org.slf4j.Logger log) {
    log.warn("{} refused {}: {} (text that cannot be stored)", printable(entityId), command.getClass().getSimpleName(),
        problem);
    ActorRef<Outcome> to = outcomeReplyTo(command);
    if (to != null) to.tell(refusal(problem));
  }

  /** {@code s} with each lone surrogate and NUL replaced by U+FFFD (the same string when there is none). */
  public static String repair(String s) {
    if (problem(s) == null) return s;
    StringBuilder out = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        out.append(c).append(s.charAt(++i));
      } else if (Character.isSurrogate(c) || c == 0) {
        out.append('\uFFFD');
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  /** {@code s} with what cannot be stored or printed on one line replaced by U+FFFD. */
  public static String printable(String s) {
    if (s == null) return null;
    StringBuilder out = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        out.append(c).append(s.charAt(++i));
      } else if (Character.isSurrogate(c) || Character.isISOControl(c)) {
        out.append('\uFFFD');
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  private static String name(String path) {
    return path.isEmpty() ? "value" : path;
  }

  /** A map key in a path: what cannot be stored, or would make a log line unsafe, is left out. */
  private static String safe(Object key) {
    String k = String.valueOf(key);
    if (problem(k) != null || k.length() > 64) return "…";
    return k;
  }

  /** The components of a record worth walking (those that may hold text) and its Outcome replyTo. */
  private record Shape(List<String> names, List<MethodHandle> accessors, MethodHandle outcomeReplyTo) {}

  private static final ClassValue<Shape> SHAPES = new ClassValue<>() {
    @Override
    protected Shape computeValue(Class<?> type) {
      List<String> names = new ArrayList<>();
      List<MethodHandle> accessors = new ArrayList<>();
      MethodHandle replyTo = null;
      if (type.isRecord()) {
        MethodHandles.Lookup lookup = MethodHandles.lookup();
        for (RecordComponent c : type.getRecordComponents()) {
          MethodHandle h;
          try {
            c.getAccessor().setAccessible(true);
            h = lookup.unreflect(c.getAccessor());
          } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException("cannot read " + type.getName() + "." + c.getName(), e);
          }
          if (ActorRef.class.isAssignableFrom(c.getType())) {
            if (c.getName().equals("replyTo") && answers(c.getGenericType(), Outcome.class)) replyTo = h;
          } else if (mayHoldText(c.getType())) {
            names.add(c.getName());
            accessors.add(h);
          }
        }
      }
      return new Shape(List.copyOf(names), List.copyOf(accessors), replyTo);
    }
  };

  private static boolean answers(Type t, Class<?> answer) {
    return t instanceof ParameterizedType p && p.getActualTypeArguments().length == 1
        && p.getActualTypeArguments()[0] == answer;
  }

  private static boolean mayHoldText(Class<?> t) {
    if (t.isPrimitive() || t.isEnum() || Number.class.isAssignableFrom(t) || t == Boolean.class
        || t == Character.class) {
      return false;
    }
    return !(t.getName().startsWith("java.time.") || t == Class.class);
  }
}
