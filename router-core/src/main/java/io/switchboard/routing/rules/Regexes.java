package io.switchboard.routing.rules;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Regular expressions written by tenants, run on text written by contacts. Two guards: compiled
 * patterns are cached (rules are evaluated for every message, compiling is the costly part), and
 * every match runs on a character budget, so a pattern that backtracks catastrophically on some
 * message gives "no match" after a few milliseconds instead of holding the conversation's thread.
 */
final class Regexes {

  /** Character reads allowed per match: ample for any sane pattern on a 4096-character message. */
  static final int BUDGET = 1_000_000;

  /** Bounded by clearing: tenants' patterns are few, an attacker's rule set cannot grow it forever. */
  private static final int CACHE_LIMIT = 4096;
  private static final Map<String, Optional<Pattern>> CACHE = new ConcurrentHashMap<>();

  private Regexes() {
  }

  /** The compile error of a pattern, empty if it compiles. */
  static Optional<String> problem(String pattern) {
    try {
      Pattern.compile(pattern);
      return Optional.empty();
    } catch (PatternSyntaxException e) {
      return Optional.of(e.getDescription() + (e.getIndex() >= 0 ? " at index " + e.getIndex() : ""));
    }
  }

  /** Whether the pattern is found in the text; false for a bad pattern or an exhausted budget. */
  static boolean find(String pattern, String text) {
    Optional<Pattern> p = compiled(pattern);
    if (p.isEmpty() || text == null) {
      return false;
    }
    try {
      return p.get().matcher(new BudgetedText(text, new int[] {BUDGET})).find();
    } catch (BudgetExhausted e) {
      return false;
    }
  }

  /** Whether the whole text matches the pattern; false for a bad pattern or an exhausted budget. */
  static boolean matches(String pattern, String text) {
    Optional<Pattern> p = compiled(pattern);
    if (p.isEmpty() || text == null) {
      return false;
    }
    try {
      return p.get().matcher(new BudgetedText(text, new int[] {BUDGET})).matches();
    } catch (BudgetExhausted e) {
      return false;
    }
  }

  private static Optional<Pattern> compiled(String pattern) {
    if (pattern == null) {
      return Optional.empty();
    }
    Optional<Pattern> cached = CACHE.get(pattern);
    if (cached != null) {
      return cached;
    }
    if (CACHE.size() >= CACHE_LIMIT) {
      CACHE.clear();
    }
    Optional<Pattern> p;
    try {
      p = Optional.of(Pattern.compile(pattern));
    } catch (PatternSyntaxException e) {
      p = Optional.empty();
    }
    CACHE.put(pattern, p);
    return p;
  }

  /** Thrown from inside the matcher when the budget is spent; no stack trace, it is not a bug. */
  private static final class BudgetExhausted extends RuntimeException {
    private static final long serialVersionUID = 1L;

    BudgetExhausted() {
      super("regular expression budget exhausted", null, false, false);
    }
  }

  /** A text whose reads are counted; sub-sequences share the budget. */
  private static final class BudgetedText implements CharSequence {
    private final String text;
    private final int[] budget;

    BudgetedText(String text, int[] budget) {
      this.text = text;
      this.budget = budget;
    }

    @Override
    public char charAt(int index) {
      if (--budget[0] < 0) {
        throw new BudgetExhausted();
      }
      return text.charAt(index);
    }

    @Override
    public int length() {
      return text.length();
    }

    @Override
    public CharSequence subSequence(int start, int end) {
      return new BudgetedText(text.substring(start, end), budget);
    }

    @Override
    public String toString() {
      return text;
    }
  }
}
