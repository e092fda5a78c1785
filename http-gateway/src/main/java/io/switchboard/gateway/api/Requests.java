package io.switchboard.gateway.api;

import io.switchboard.agent.AgentProfile;
import io.switchboard.routing.BusinessHours;
import io.switchboard.routing.Presence;
import io.switchboard.routing.StrategyKind;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The bodies the API accepts, as records; each checks itself with {@link #validate} (400 naming the field). */
public final class Requests {
  private Requests() {}

  /** Creates or replaces a tenant's settings (admin). */
  public record TenantRequest(String displayName, String verifyToken, String appSecret, String webhookUrl,
      String webhookSecret, String defaultTeam, Map<String, String> whatsappNumbers) {
    public void validate(Validation v) {
      v.text("displayName", displayName);
      v.text("verifyToken", verifyToken);
      v.text("appSecret", appSecret);
      v.text("webhookSecret", webhookSecret);
      if (webhookUrl != null) {
        v.text("webhookUrl", webhookUrl);
        URI u;
        try {
          u = URI.create(webhookUrl);
        } catch (IllegalArgumentException e) {
          throw ApiException.badRequest("invalid_request", "webhookUrl is not a URL: " + e.getMessage());
        }
        if (!("http".equals(u.getScheme()) || "https".equals(u.getScheme())) || u.getHost() == null) {
          throw ApiException.badRequest("invalid_request", "webhookUrl must be an http(s) URL with a host");
        }
        if (webhookSecret == null || webhookSecret.isBlank()) {
          throw ApiException.badRequest("invalid_request", "webhookSecret is required with a webhookUrl (events are signed)");
        }
      }
      if (defaultTeam != null) v.name("defaultTeam", defaultTeam);
      if (whatsappNumbers != null) {
        whatsappNumbers.forEach((number, team) -> {
          v.id("whatsappNumbers key", number);
          v.name("whatsappNumbers[" + number + "]", team);
        });
      }
    }
  }

  public record ApiKeyRequest(String label) {
    public void validate(Validation v) {
      v.text("label", label);
    }
  }

  /** Escalation: a supervisor agent or a team (names within the tenant), exactly one. */
  public record Escalation(String supervisor, String team) {}

  /** A team's routing configuration; names are within the tenant. */
  public record TeamRequest(List<String> members, StrategyKind strategy, Duration replyWindow, Integer maxReroutes,
      Escalation escalation, Duration queueWait, String overflowTeam, BusinessHours businessHours,
      Duration idleAutoResolve, Boolean rerouteAnsweredOnOffline, Duration offlineGrace, Duration wrapUp) {
    /** The longest offline grace a team may give its agents. */
    public static final Duration MAX_OFFLINE_GRACE = Duration.ofHours(24);
    /** The longest wrap-up after a resolve. */
    public static final Duration MAX_WRAP_UP = Duration.ofHours(1);

    public void validate(Validation v) {
      if (strategy == null) throw ApiException.badRequest("invalid_request", "strategy is required: "
          + List.of(StrategyKind.values()));
      if (members == null) throw ApiException.badRequest("invalid_request", "members is required (may be empty)");
      if (members.size() > 1000) throw ApiException.badRequest("invalid_request", "at most 1000 members");
      members.forEach(m -> v.name("members[]", m));
      if (members.stream().distinct().count() != members.size()) {
        throw ApiException.badRequest("invalid_request", "members must not repeat");
      }
      nonNegative("replyWindow", replyWindow);
      nonNegative("queueWait", queueWait);
      nonNegative("idleAutoResolve", idleAutoResolve);
      nonNegative("offlineGrace", offlineGrace);
      nonNegative("wrapUp", wrapUp);
      if (wrapUp != null && wrapUp.compareTo(MAX_WRAP_UP) > 0) {
        throw ApiException.badRequest("invalid_request", "wrapUp must be at most " + MAX_WRAP_UP);
      }
      if (offlineGrace != null && offlineGrace.compareTo(MAX_OFFLINE_GRACE) > 0) {
        throw ApiException.badRequest("invalid_request", "offlineGrace must be at most " + MAX_OFFLINE_GRACE);
      }
      if (maxReroutes != null) v.range("maxReroutes", maxReroutes, 0, 100);
      if (escalation != null) {
        if ((escalation.supervisor() == null) == (escalation.team() == null)) {
          throw ApiException.badRequest("invalid_request", "escalation names either a supervisor or a team");
        }
        if (escalation.supervisor() != null) v.name("escalation.supervisor", escalation.supervisor());
        if (escalation.team() != null) v.name("escalation.team", escalation.team());
      }
      if (overflowTeam != null) v.name("overflowTeam", overflowTeam);
    }

    /** The agents the team names (members, then its supervisor): each must have been created. */
    public List<String> agentNames() {
      List<String> names = new java.util.ArrayList<>(members);
      if (escalation != null && escalation.supervisor() != null) names.add(escalation.supervisor());
      return names;
    }

    private static void nonNegative(String field, Duration d) {
      if (d != null && d.isNegative()) throw ApiException.badRequest("invalid_request", field + " must not be negative");
    }
  }

  public record AgentRequest(Map<String, Integer> capacity, Map<String, Integer> skills, Set<String> languages,
      AgentProfile.Role role) {
    public void validate(Validation v) {
      if (capacity == null || capacity.isEmpty()) {
        throw ApiException.badRequest("invalid_request", "capacity is required, e.g. {\"*\": 3} or {\"whatsapp\": 5}");
      }
      capacity.forEach((channel, n) -> {
        if (!"*".equals(channel)) v.channel("capacity key", channel);
        v.range("capacity[" + channel + "]", n == null ? -1 : n, 0, 1000);
      });
      if (skills != null) skills.forEach((s, level) -> {
        v.name("skills key", s);
        v.range("skills[" + s + "]", level == null ? -1 : level, 0, 100);
      });
      if (languages != null) languages.forEach(l -> v.name("languages[]", l));
    }

    public AgentProfile profile() {
      return new AgentProfile(capacity, skills, languages, role);
    }
  }

  public record PresenceRequest(Presence presence) {
    public void validate() {
      if (presence == null) throw ApiException.badRequest("invalid_request", "presence is required: "
          + List.of(Presence.values()));
    }
  }

  /** @param conversation the conversation's key within the tenant, {@code channel:contact} */
  public record ClaimRequest(String conversation) {}

  /**
   * A message from a contact through any channel connector.
   *
   * @param team the team a new conversation goes to (default: the tenant's default team)
   */
  public record InboundRequest(String channel, String contact, String messageId, String type, String text,
      Instant timestamp, Map<String, String> fields, String team, Integer priority, String language,
      Map<String, Integer> skills) {
    public void validate(Validation v) {
      v.channel("channel", channel);
      v.id("contact", contact);
      v.id("messageId", messageId);
      if (type != null) v.name("type", type);
      v.text("text", text);
      if (fields != null) {
        if (fields.size() > 50) throw ApiException.badRequest("invalid_request", "at most 50 fields");
        fields.forEach((k, val) -> {
          v.fieldName("fields key", k);
          v.text("fields[" + k + "]", val);
        });
      }
      if (team != null) v.name("team", team);
      if (priority != null) v.range("priority", priority, 0, 100);
      if (language != null) v.name("language", language);
      if (skills != null) skills.forEach((s, level) -> {
        v.name("skills key", s);
        v.range("skills[" + s + "]", level == null ? -1 : level, 0, 100);
      });
    }
  }

  /** A template message (allowed outside the 24 h window). */
  public record Template(String name, String language, List<String> parameters) {}

  /** An agent's reply: free-form {@code text} or a {@code template}. */
  public record ReplyRequest(String agent, String text, Template template) {
    public void validate(Validation v) {
      v.name("agent", agent);
      if ((text == null || text.isBlank()) == (template == null)) {
        throw ApiException.badRequest("invalid_request", "a reply is either text or a template");
      }
      v.text("text", text);
      if (template != null) {
        v.name("template.name", template.name());
        if (template.language() != null) v.name("template.language", template.language());
        if (template.parameters() != null) template.parameters().forEach(p -> v.text("template.parameters[]", p));
      }
    }
  }

  public record TransferRequest(String toAgent, String toTeam, String requestedBy) {
    public void validate(Validation v) {
      if ((toAgent == null) == (toTeam == null)) {
        throw ApiException.badRequest("invalid_request", "a transfer names either toAgent or toTeam");
      }
      if (toAgent != null) v.name("toAgent", toAgent);
      if (toTeam != null) v.name("toTeam", toTeam);
      v.name("requestedBy", requestedBy);
    }
  }

  public record ResolveRequest(String requestedBy) {
    public void validate(Validation v) {
      v.name("requestedBy", requestedBy);
    }
  }
}
