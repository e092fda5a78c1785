package io.switchboard.routing;

import java.time.DateTimeException;
import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.zone.ZoneOffsetTransition;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A weekly schedule in wall-clock time of a zone, so that opening hours follow the zone's DST rules.
 * Each day has shifts [from, to) that do not cross midnight; a {@code to} of 00:00 means the end of
 * the day, so a late shift followed by one from 00:00 the next day is open straight through.
 */
public record BusinessHours(String zone, Map<DayOfWeek, List<Shift>> week) {

  /** How far {@link #nextOpening} looks: a week plus a day, so every weekday is seen once more. */
  private static final int SEARCH_DAYS = 8;

  /** A shift [from, to) in local time; {@code to} 00:00 means midnight at the end of the day. */
  public record Shift(LocalTime from, LocalTime to) {

    public Shift {
      if (from == null || to == null) {
        throw new IllegalArgumentException("shift needs both from and to, got " + from + "-" + to);
      }
      if (!from.isBefore(to) && !to.equals(LocalTime.MIDNIGHT)) {
        throw new IllegalArgumentException("shift " + from + "-" + to
            + " must end after it starts (use 00:00 for midnight; split shifts crossing midnight)");
      }
    }

    boolean contains(LocalTime t) {
      return !t.isBefore(from) && (to.equals(LocalTime.MIDNIGHT) || t.isBefore(to));
    }
  }

  public BusinessHours {
    if (zone == null) {
      throw new IllegalArgumentException("business hours need a time zone");
    }
    try {
      ZoneId.of(zone);
    } catch (DateTimeException e) {
      throw new IllegalArgumentException("unknown time zone '" + zone + "'", e);
    }
    Map<DayOfWeek, List<Shift>> copy = new EnumMap<>(DayOfWeek.class);
    if (week != null) {
      week.forEach((day, shifts) -> {
        if (day != null && shifts != null && !shifts.isEmpty()) {
          copy.put(day, List.copyOf(shifts));
        }
      });
    }
    week = Collections.unmodifiableMap(copy);
  }

  /** Open every day, all day: for teams without business hours. */
  public static BusinessHours always(String zone) {
    Map<DayOfWeek, List<Shift>> week = new EnumMap<>(DayOfWeek.class);
    for (DayOfWeek day : DayOfWeek.values()) {
      week.put(day, List.of(new Shift(LocalTime.MIDNIGHT, LocalTime.MIDNIGHT)));
    }
    return new BusinessHours(zone, week);
  }

  public boolean isOpen(Instant at) {
    ZonedDateTime local = at.atZone(ZoneId.of(zone));
    return shifts(local.getDayOfWeek()).stream().anyMatch(s -> s.contains(local.toLocalTime()));
  }

  /**
   * {@code after} itself if open then, otherwise the earliest later instant at which the schedule
   * opens; empty if there is no shift at all. A shift starting in a DST gap opens at the transition;
   * one starting in an overlap is considered at both occurrences of its local start.
   */
  public Optional<Instant> nextOpening(Instant after) {
    return isOpen(after) ? Optional.of(after) : nextOpeningAfter(after);
  }

  /**
   * The earliest instant later than {@code after} at which the schedule opens (closed just before,
   * open at it), whether or not it is open at {@code after}; contiguous shifts are one opening.
   * A team holding a queue re-arms its drain for this instant. Empty if there is no shift at all.
   */
  public Optional<Instant> nextOpeningAfter(Instant after) {
    ZoneId zoneId = ZoneId.of(zone);
    LocalDate first = after.atZone(zoneId).toLocalDate();
    Instant earliest = null;
    for (int d = 0; d <= SEARCH_DAYS; d++) {
      LocalDate date = first.plusDays(d);
      for (Shift shift : shifts(date.getDayOfWeek())) {
        for (Instant start : starts(LocalDateTime.of(date, shift.from()), zoneId)) {
          if (start.isAfter(after) && (earliest == null || start.isBefore(earliest)) && isOpen(start)
              && !isOpen(start.minusNanos(1))) {
            earliest = start;
          }
        }
      }
    }
    return Optional.ofNullable(earliest);
  }

  private List<Shift> shifts(DayOfWeek day) {
    return week.getOrDefault(day, List.of());
  }

  /** The instants at which a local date-time begins: the transition in a gap, both offsets in an overlap. */
  private static List<Instant> starts(LocalDateTime local, ZoneId zoneId) {
    ZoneOffsetTransition transition = zoneId.getRules().getTransition(local);
    if (transition != null && transition.isGap()) {
      return List.of(transition.getInstant());
    }
    ZonedDateTime zoned = ZonedDateTime.of(local, zoneId);
    List<Instant> starts = new ArrayList<>(2);
    starts.add(zoned.withEarlierOffsetAtOverlap().toInstant());
    starts.add(zoned.withLaterOffsetAtOverlap().toInstant());
    return starts;
  }
}
