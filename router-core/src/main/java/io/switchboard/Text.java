package io.switchboard;

/**
 * Cutting text down for messages and columns people read: the one copy of what the rules, the
 * gateway's error answers and the stores each used to do their own way. Cuts never split a
 * surrogate pair (half a character would make the text unstorable).
 */
public final class Text {
  private Text() {}

  /** The first {@code max} chars of {@code s}, one fewer when that would split a surrogate pair; null stays null. */
  public static String cut(String s, int max) {
    if (s == null || s.length() <= max) return s;
    int end = Character.isHighSurrogate(s.charAt(max - 1)) ? max - 1 : max;
    return s.substring(0, end);
  }

  /** {@code s} when it has at most {@code max} chars, else {@link #cut} to {@code max} and marked with "…". */
  public static String clip(String s, int max) {
    if (s == null || s.length() <= max) return s;
    return cut(s, max) + "…";
  }

  /** {@code s} up to its first line break; the empty string for null. */
  public static String firstLine(String s) {
    if (s == null) return "";
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
