package io.switchboard.routing.rules;

import io.switchboard.Text;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Text with {@code {{field}}} placeholders filled from contact fields (spaces inside the braces
 * allowed: {@code {{ email }}}), encoded for where the text goes: a URL, a header or a JSON body.
 * Contact fields come from contacts and CRMs, so encoding is what keeps them from changing the
 * request's shape (a {@code /} or {@code &} in a URL, a line break in a header, a quote in JSON).
 */
public final class Templates {

  /** Field names usable in placeholders and as contact fields set by rules. */
  static final Pattern FIELD_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

  private static final Pattern CONTROL = Pattern.compile("\\p{Cntrl}");

  private Templates() {
  }

  /** How values are encoded into the text. */
  public enum Encoding {
    /** Percent-encoded, spaces as %20: safe in a path segment or a query value. */
    URL,
    /** As is, less control characters (no header splitting). */
    HEADER,
    /** Escaped for the inside of a JSON string: the template supplies the quotes. */
    JSON
  }

  /**
   * A filled template.
   *
   * @param missing placeholders whose field had no value (rendered as empty text), in order of appearance
   */
  public record Rendered(String text, List<String> missing) {
    public Rendered {
      missing = List.copyOf(missing);
    }

    /** Whether every placeholder had a value. */
    public boolean complete() {
      return missing.isEmpty();
    }
  }

  /** A URL template filled with URL-encoded values. */
  public static Rendered render(String template, Map<String, String> fields) {
    return render(template, fields, Encoding.URL);
  }

  /**
   * The template with each placeholder replaced by its field's value, encoded; a missing field renders
   * empty and is reported. Text that is not a well-formed placeholder (see {@link #problems}) is kept
   * as it is.
   */
  public static Rendered render(String template, Map<String, String> fields, Encoding encoding) {
    if (template == null) {
      return new Rendered("", List.of());
    }
    StringBuilder out = new StringBuilder(template.length() + 32);
    Set<String> missing = new LinkedHashSet<>();
    int i = 0;
    while (i < template.length()) {
      int open = template.indexOf("{{", i);
      int close = open < 0 ? -1 : template.indexOf("}}", open + 2);
      String name = close < 0 ? null : template.substring(open + 2, close).trim();
      if (name == null || !FIELD_NAME.matcher(name).matches()) {
        int upTo = open < 0 ? template.length() : open + 2;
        out.append(template, i, upTo);
        i = upTo;
        continue;
      }
      out.append(template, i, open);
      String value = fields == null ? null : fields.get(name);
      if (value == null) {
        missing.add(name);
      } else {
        out.append(encode(value, encoding));
      }
      i = close + 2;
    }
    return new Rendered(out.toString(), new ArrayList<>(missing));
  }

  /** The field names the template refers to, in order of first appearance. */
  public static List<String> placeholders(String template) {
    List<String> names = new ArrayList<>();
    if (template == null) {
      return names;
    }
    int i = 0;
    while (true) {
      int open = template.indexOf("{{", i);
      int close = open < 0 ? -1 : template.indexOf("}}", open + 2);
      if (close < 0) {
        return names;
      }
      String name = template.substring(open + 2, close).trim();
      if (FIELD_NAME.matcher(name).matches() && !names.contains(name)) {
        names.add(name);
      }
      i = close + 2;
    }
  }

  /**
   * What is wrong with the template's placeholders: a "{{" without its "}}", or a name
   * that is not a field name ({@code {{first name}}}, {@code {{}}}). Empty when well-formed.
   */
  public static List<String> problems(String template) {
    List<String> problems = new ArrayList<>();
    if (template == null) {
      return problems;
    }
    int i = 0;
    while (true) {
      int open = template.indexOf("{{", i);
      if (open < 0) {
        return problems;
      }
      int close = template.indexOf("}}", open + 2);
      if (close < 0) {
        problems.add("'{{' at " + open + " is not closed by '}}'");
        return problems;
      }
      String name = template.substring(open + 2, close).trim();
      if (!FIELD_NAME.matcher(name).matches()) {
        problems.add("placeholder '" + clip(template.substring(open, close + 2))
            + "' is not a field name (letters, digits, '.', '_', '-')");
      }
      i = close + 2;
    }
  }

  static String encode(String value, Encoding encoding) {
    return switch (encoding) {
      case URL -> URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
      case HEADER -> CONTROL.matcher(value).replaceAll("");
      case JSON -> jsonEscape(value);
    };
  }

  private static String jsonEscape(String value) {
    StringBuilder out = new StringBuilder(value.length() + 8);
    for (int k = 0; k < value.length(); k++) {
      char ch = value.charAt(k);
      switch (ch) {
        case '"':
          out.append("\\\"");
          break;
        case '\\':
          out.append("\\\\");
          break;
        case '\n':
          out.append("\\n");
          break;
        case '\r':
          out.append("\\r");
          break;
        case '\t':
          out.append("\\t");
          break;
        default:
          if (ch < 0x20 || ch == '\u2028' || ch == '\u2029') {
            out.append(String.format(Locale.ROOT, "\\u%04x", (int) ch));
          } else {
            out.append(ch);
          }
      }
    }
    return out.toString();
  }

  /** A value quoted in a rules message: at most 40 chars and "…". */
  static String clip(String s) {
    return Text.clip(s, 40);
  }
}
