package io.switchboard.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.routing.BusinessHours.Shift;
import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalTime;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class BusinessHoursTest {

  private static Shift shift(String from, String to) {
    return new Shift(LocalTime.parse(from), LocalTime.parse(to));
  }

  /** Monday to Friday 09:00-12:00 and 13:00-18:00. */
  private static BusinessHours weekdays(String zone) {
    Map<DayOfWeek, List<Shift>> week = new EnumMap<>(DayOfWeek.class);
    for (DayOfWeek day : List.of(DayOfWeek.MONDAY, DayOfWeek.TUESDAY, DayOfWeek.WEDNESDAY,
        DayOfWeek.THURSDAY, DayOfWeek.FRIDAY)) {
      week.put(day, List.of(shift("09:00", "12:00"), shift("13:00", "18:00")));
    }
    return new BusinessHours(zone, week);
  }

  private static Instant at(String utc) {
    return Instant.parse(utc);
  }

  @Test
  void openInsideAShiftAndClosedOutsideInTheLocalZone() {
    BusinessHours saoPaulo = weekdays("America/Sao_Paulo"); // UTC-3 all year
    // Wednesday 2024-06-12
    assertFalse(saoPaulo.isOpen(at("2024-06-12T11:59:59Z")), "08:59 local");
    assertTrue(saoPaulo.isOpen(at("2024-06-12T12:00:00Z")), "09:00 local");
    assertFalse(saoPaulo.isOpen(at("2024-06-12T15:30:00Z")), "12:30 local, lunch");
    assertTrue(saoPaulo.isOpen(at("2024-06-12T20:59:59Z")), "17:59 local");
    assertFalse(saoPaulo.isOpen(at("2024-06-12T21:00:00Z")), "18:00 local, end is exclusive");
  }

  @Test
  void weekendIsClosed() {
    BusinessHours berlin = weekdays("Europe/Berlin");
    assertFalse(berlin.isOpen(at("2024-06-15T08:00:00Z")), "Saturday 10:00 local");
    assertFalse(berlin.isOpen(at("2024-06-16T08:00:00Z")), "Sunday 10:00 local");
  }

  @Test
  void nextOpeningOnFridayEveningIsMondaysFirstShift() {
    BusinessHours saoPaulo = weekdays("America/Sao_Paulo");
    // Friday 2024-06-14 19:00 local -> Monday 2024-06-17 09:00 local
    assertEquals(Optional.of(at("2024-06-17T12:00:00Z")), saoPaulo.nextOpening(at("2024-06-14T22:00:00Z")));
  }

  @Test
  void nextOpeningDuringLunchIsTheAfternoonShiftAndWhenOpenIsNow() {
    BusinessHours berlin = weekdays("Europe/Berlin"); // CEST, UTC+2
    assertEquals(Optional.of(at("2024-06-12T11:00:00Z")), berlin.nextOpening(at("2024-06-12T10:15:00Z")));
    Instant open = at("2024-06-12T08:00:00Z");
    assertEquals(Optional.of(open), berlin.nextOpening(open));
  }

  @Test
  void nextOpeningAfterAnInstantWhileOpenIsTheNextReopeningNotNow() {
    BusinessHours utc = weekdays("UTC");
    // Monday 10:00, open: the next opening is the afternoon shift after lunch.
    assertEquals(Optional.of(at("2026-03-02T13:00:00Z")), utc.nextOpeningAfter(at("2026-03-02T10:00:00Z")));
    // Friday 14:00, open: the next opening is Monday morning.
    assertEquals(Optional.of(at("2026-03-09T09:00:00Z")), utc.nextOpeningAfter(at("2026-03-06T14:00:00Z")));
  }

  @Test
  void contiguousShiftsAcrossMidnightAreOneOpening() {
    Map<DayOfWeek, List<Shift>> week = new EnumMap<>(DayOfWeek.class);
    week.put(DayOfWeek.MONDAY, List.of(shift("20:00", "00:00")));
    week.put(DayOfWeek.TUESDAY, List.of(shift("00:00", "06:00")));
    BusinessHours night = new BusinessHours("UTC", week);
    // Monday 21:00, open: Tuesday 00:00 continues the shift, so the next opening is next Monday 20:00.
    assertEquals(Optional.of(at("2026-03-09T20:00:00Z")), night.nextOpeningAfter(at("2026-03-02T21:00:00Z")));
  }

  @Test
  void nextOpeningIsEmptyWithoutAnyShift() {
    assertEquals(Optional.empty(), new BusinessHours("UTC", null).nextOpening(at("2024-06-12T10:00:00Z")));
    assertEquals(Optional.empty(),
        new BusinessHours("UTC", Map.of(DayOfWeek.MONDAY, List.of())).nextOpening(at("2024-06-12T10:00:00Z")));
  }

  @Test
  void daylightSavingTransitionInBerlinIsHandled() {
    // Sunday 2024-03-31: clocks jump from 02:00 CET (UTC+1) to 03:00 CEST (UTC+2)
    BusinessHours berlin = new BusinessHours("Europe/Berlin", Map.of(
        DayOfWeek.SATURDAY, List.of(shift("09:00", "12:00")),
        DayOfWeek.SUNDAY, List.of(shift("02:30", "04:00"), shift("09:00", "17:00"))));
    assertTrue(berlin.isOpen(at("2024-03-30T08:00:00Z")), "Saturday 09:00 CET");
    assertFalse(berlin.isOpen(at("2024-03-31T06:30:00Z")), "Sunday 08:30 CEST");
    assertTrue(berlin.isOpen(at("2024-03-31T07:00:00Z")), "Sunday 09:00 CEST (08:00 if CET were kept)");
    assertTrue(berlin.isOpen(at("2024-03-31T14:59:59Z")), "Sunday 16:59:59 CEST");
    assertFalse(berlin.isOpen(at("2024-03-31T15:30:00Z")), "Sunday 17:30 CEST (16:30 if CET were kept)");
    // 02:30 does not exist that night: the early shift opens at the jump, 03:00 CEST = 01:00Z
    assertEquals(Optional.of(at("2024-03-31T01:00:00Z")), berlin.nextOpening(at("2024-03-30T12:00:00Z")));
    // after the early shift, the next opening is 09:00 CEST = 07:00Z, not 08:00Z
    assertEquals(Optional.of(at("2024-03-31T07:00:00Z")), berlin.nextOpening(at("2024-03-31T02:00:00Z")));
  }

  @Test
  void shiftEndingAtMidnightRunsToTheEndOfTheDay() {
    BusinessHours late = new BusinessHours("Europe/Berlin",
        Map.of(DayOfWeek.WEDNESDAY, List.of(shift("20:00", "00:00"))));
    assertTrue(late.isOpen(at("2024-06-12T21:59:59Z")), "Wednesday 23:59:59 local");
    assertFalse(late.isOpen(at("2024-06-12T22:00:00Z")), "Thursday 00:00 local");
  }

  @Test
  void alwaysIsOpenAtAnyInstant() {
    BusinessHours always = BusinessHours.always("Asia/Kolkata");
    for (Instant t = at("2024-06-10T00:00:00Z"); t.isBefore(at("2024-06-17T00:00:00Z")); t = t.plusSeconds(1_799)) {
      assertTrue(always.isOpen(t), t.toString());
    }
  }

  @Test
  void badZoneIsRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new BusinessHours("Mars/Olympus_Mons", Map.of()));
    assertTrue(e.getMessage().contains("Mars/Olympus_Mons"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new BusinessHours(null, Map.of()));
  }

  @Test
  void shiftThatDoesNotEndAfterItStartsIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> shift("18:00", "09:00"));
    assertThrows(IllegalArgumentException.class, () -> shift("09:00", "09:00"));
  }

  @Test
  void weekIsCopiedDefensively() {
    Map<DayOfWeek, List<Shift>> week = new EnumMap<>(DayOfWeek.class);
    week.put(DayOfWeek.MONDAY, List.of(shift("09:00", "17:00")));
    BusinessHours hours = new BusinessHours("UTC", week);
    week.clear();
    assertTrue(hours.isOpen(at("2024-06-10T10:00:00Z")));
    assertThrows(UnsupportedOperationException.class, () -> hours.week().clear());
  }
}
