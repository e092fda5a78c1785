package io.switchboard.routing.rules;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.jayway.jsonpath.Configuration;
import com.jayway.jsonpath.DocumentContext;
import com.jayway.jsonpath.InvalidJsonException;
import com.jayway.jsonpath.InvalidPathException;
import com.jayway.jsonpath.JsonPath;
import com.jayway.jsonpath.PathNotFoundException;
import com.jayway.jsonpath.spi.json.JacksonJsonProvider;
import com.jayway.jsonpath.spi.mapper.JacksonMappingProvider;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Maps a CRM's JSON response into contact fields by JSON paths (Jayway JsonPath syntax:
 * {@code $.customerType}, {@code $.data[0].tier}, {@code $..email}). A scalar becomes its text; a
 * list of one scalar (what filters and deep scans return) becomes that scalar; any other object or
 * list is kept as compact JSON text. Null, absent, empty and over-long values leave the field unset.
 */
public final class JsonMapping {

  /** Longest value stored in a contact field; longer ones are left out rather than cut into nonsense. */
  public static final int MAX_VALUE_LENGTH = 1024;
  /** Largest response read: a CRM record, not a data dump (the HTTP client should stop earlier). */
  public static final int MAX_RESPONSE_LENGTH = 1 << 20;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Configuration CONFIG = Configuration.builder()
      .jsonProvider(new JacksonJsonProvider(JSON))
      .mappingProvider(new JacksonMappingProvider(JSON))
      .build();

  private JsonMapping() {
  }

  /**
   * The outcome of mapping one response.
   *
   * @param fields   the fields found, in the mapping's order
   * @param problems why some mapped fields are not set (path not found, null, too long), for logs
   * @param error    non-null when the response could not be read at all: take the step's fallback
   */
  public record Result(Map<String, String> fields, List<String> problems, String error) {
    public Result {
      fields = Copies.map(fields);
      problems = List.copyOf(problems);
    }

    /** Whether the response was readable (some fields may still be unset). */
    public boolean ok() {
      return error == null;
    }
  }

  /** The compile error of a JSON path, empty if it is usable (it must start at the root, {@code $}). */
  public static Optional<String> problem(String path) {
    if (path == null || path.isBlank()) {
      return Optional.of("JSON path is empty");
    }
    if (!path.startsWith("$")) {
      return Optional.of("JSON path '" + Templates.clip(path) + "' must start with '$'");
    }
    try {
      JsonPath.compile(path);
    } catch (InvalidPathException | IllegalArgumentException e) {
      return Optional.of("JSON path '" + Templates.clip(path) + "' does not compile: " + e.getMessage());
    }
    // JsonPath reads "$.customer[" as a property named "customer[": almost surely a typo, never what is meant
    if (!bracketsBalance(path)) {
      return Optional.of("JSON path '" + Templates.clip(path) + "' does not compile: unbalanced brackets");
    }
    return Optional.empty();
  }

  /** Whether [ ] and ( ) pair up outside quoted names. */
  private static boolean bracketsBalance(String path) {
    int square = 0;
    int round = 0;
    char quote = 0;
    for (int i = 0; i < path.length(); i++) {
      char ch = path.charAt(i);
      if (quote != 0) {
        if (ch == '\\') {
          i++;
        } else if (ch == quote) {
          quote = 0;
        }
      } else if (ch == '\'' || ch == '"') {
        quote = ch;
      } else if (ch == '[') {
        square++;
      } else if (ch == ']') {
        square--;
      } else if (ch == '(') {
        round++;
      } else if (ch == ')') {
        round--;
      }
      if (square < 0 || round < 0) {
        return false;
      }
    }
    return square == 0 && round == 0 && quote == 0;
  }

  /** Reads each mapped path from the response; never throws. */
  public static Result apply(Map<String, String> map, String responseJson) {
    if (responseJson == null || responseJson.isBlank()) {
      return new Result(Map.of(), List.of(), "empty response");
    }
    if (responseJson.length() > MAX_RESPONSE_LENGTH) {
      return new Result(Map.of(), List.of(), "response longer than " + MAX_RESPONSE_LENGTH + " characters");
    }
    DocumentContext document;
    try {
      document = JsonPath.using(CONFIG).parse(responseJson);
    } catch (InvalidJsonException | IllegalArgumentException e) {
      return new Result(Map.of(), List.of(), "response is not JSON: " + e.getMessage());
    }
    Map<String, String> fields = new LinkedHashMap<>();
    List<String> problems = new ArrayList<>();
    if (map == null) {
      return new Result(fields, problems, null);
    }
    map.forEach((field, path) -> {
      Optional<String> bad = problem(path);
      if (bad.isPresent()) {
        problems.add(field + ": " + bad.get());
        return;
      }
      Object value;
      try {
        value = document.read(path);
      } catch (PathNotFoundException e) {
        problems.add(field + ": " + path + " not found");
        return;
      } catch (RuntimeException e) {
        // a path valid in itself can still fail on this document's shape (a filter on a scalar)
        problems.add(field + ": " + path + " could not be read: " + e.getMessage());
        return;
      }
      Optional<String> text = text(value);
      if (text.isEmpty()) {
        problems.add(field + ": " + path + " is null or empty");
      } else if (text.get().length() > MAX_VALUE_LENGTH) {
        problems.add(field + ": " + path + " is longer than " + MAX_VALUE_LENGTH + " characters");
      } else {
        fields.put(field, text.get());
      }
    });
    return new Result(fields, problems, null);
  }

  private static Optional<String> text(Object value) {
    if (value instanceof Collection<?> list) {
      if (list.isEmpty()) {
        return Optional.empty();
      }
      if (list.size() == 1) {
        Object only = list.iterator().next();
        if (!(only instanceof Collection<?>) && !(only instanceof Map<?, ?>)) {
          return text(only);
        }
      }
    }
    if (value == null) {
      return Optional.empty();
    }
    if (value instanceof String s) {
      return s.isBlank() ? Optional.empty() : Optional.of(s);
    }
    if (value instanceof Number || value instanceof Boolean) {
      return Optional.of(value.toString());
    }
    try {
      return Optional.of(JSON.writeValueAsString(value));
    } catch (JsonProcessingException e) {
      return Optional.empty();
    }
  }
}
