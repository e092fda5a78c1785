package io.switchboard.routing.rules;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Shared builders: contexts, rules, and mappers configured like the gateway's API and Pekko's CBOR. */
final class Fixtures {
  private Fixtures() {
  }

  /** Like the gateway's {@code Json.mapper()}: unknown fields refused, so typos in a rules file show. */
  static final ObjectMapper JSON = new ObjectMapper()
      .registerModule(new JavaTimeModule())
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
      .disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS)
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
      .setDefaultPropertyInclusion(JsonInclude.Include.NON_NULL);

  /** What persisted events go through (jackson-cbor). */
  static final ObjectMapper CBOR = new ObjectMapper(new CBORFactory()).registerModule(new JavaTimeModule());

  /** A Wednesday, 12:00 UTC. */
  static final Instant NOON = Instant.parse("2024-06-12T12:00:00Z");

  static Ctx ctx(String text) {
    return new Ctx().text(text);
  }

  static Rule rule(String name, Condition when, Action... then) {
    return new Rule(name, when, List.of(then));
  }

  static Rule orElse(String team) {
    return rule("else", new Condition.Always(), new Action.ToTeam(team));
  }

  static RoutingRules rules(Rule... rules) {
    return new RoutingRules("UTC", Arrays.asList(rules));
  }

  /** A mutable builder for {@link RulesEngine.Context}, defaults: whatsapp, no fields, new contact, now = NOON. */
  static final class Ctx {
    String text = "";
    String channel = "whatsapp";
    Map<String, String> fields = new HashMap<>();
    String hint;
    boolean returning;
    int priority;
    Instant now = NOON;
    Set<String> done = new HashSet<>();

    Ctx text(String t) {
      text = t;
      return this;
    }

    Ctx channel(String c) {
      channel = c;
      return this;
    }

    Ctx field(String k, String v) {
      fields.put(k, v);
      return this;
    }

    Ctx hint(String language) {
      hint = language;
      return this;
    }

    Ctx returning(boolean r) {
      returning = r;
      return this;
    }

    Ctx priority(int p) {
      priority = p;
      return this;
    }

    Ctx now(Instant at) {
      now = at;
      return this;
    }

    Ctx now(String utc) {
      now = Instant.parse(utc);
      return this;
    }

    Ctx done(String step) {
      done.add(step);
      return this;
    }

    RulesEngine.Context build() {
      return new RulesEngine.Context(text, channel, fields, hint, returning, priority, now, done);
    }
  }
}
