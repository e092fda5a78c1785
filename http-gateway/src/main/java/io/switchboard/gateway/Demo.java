package io.switchboard.gateway;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.switchboard.EntityIds;
import io.switchboard.Outcome;
import io.switchboard.RouterCore;
import io.switchboard.agent.Agent;
import io.switchboard.persistence.Store;
import io.switchboard.persistence.StoreSettings;
import io.switchboard.agent.AgentProfile;
import io.switchboard.conversation.Conversation;
import io.switchboard.routing.EscalationTarget;
import io.switchboard.routing.Presence;
import io.switchboard.routing.RoutingHint;
import io.switchboard.routing.StrategyKind;
import io.switchboard.team.Team;
import io.switchboard.team.TeamConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;

/**
 * Watch routing happen, in about 30 seconds, on a one-node cluster on the embedded H2 store.
 * Team "support" routes round-robin to alice, bob and carol with a 10 s reply window; alice always
 * answers, bob answers only in the first 8 s, carol never does. Her conversation is re-routed, the
 * one that then lapses with bob is escalated to the supervisor sam, who claims it.
 */
public final class Demo {
  private static final String T = "demo";
  private static final String TEAM = T + "/support";
  private static final String ALICE = T + "/alice", BOB = T + "/bob", CAROL = T + "/carol", SAM = T + "/sam";

  private final ActorSystem<Void> system;
  private final long start = System.nanoTime();
  private final Map<String, String> lastSeen = new HashMap<>();

  private Demo(ActorSystem<Void> system) {
    this.system = system;
  }

  public static void main(String[] args) throws Exception {
    // The embedded default store, in a directory of the demo's own that starts empty every time.
    Path dir = Path.of("data", "demo").toAbsolutePath();
    deleteRecursively(dir);
    StoreSettings store = StoreSettings.from(ConfigFactory.load()).withH2(dir);
    Store.createSchema(store);
    Config config = Store.pekkoConfig(store).withFallback(ConfigFactory.parseString("""
        pekko.actor.provider = cluster
        pekko.remote.artery.canonical { hostname = "127.0.0.1", port = 0 }
        pekko.cluster.jmx.enabled = off
        pekko.cluster.log-info = off
        pekko.loglevel = WARNING
        pekko.coordinated-shutdown.exit-jvm = off
        pekko.cluster.sharding.remember-entities = on
        pekko.cluster.sharding.remember-entities-store = eventsourced
        pekko.cluster.sharding.state-store-mode = persistence
        switchboard.core.offline-grace = 5s
        """)).withFallback(ConfigFactory.load());
    System.out.println("store: " + store.describe());
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "switchboard-demo", config);
    try {
      Cluster cluster = Cluster.get(system);
      cluster.manager().tell(Join.create(cluster.selfMember().address()));
      while (cluster.selfMember().status() != MemberStatus.up()) TimeUnit.MILLISECONDS.sleep(50);
      RouterCore.init(system);
      new Demo(system).run();
    } finally {
      system.terminate();
      await(system.getWhenTerminated());
    }
  }

  private void run() throws Exception {
    say("setting up team support (round-robin, 10 s reply window, 1 re-route, then supervisor sam)");
    for (String a : List.of(ALICE, BOB, CAROL, SAM)) {
      AgentProfile.Role role = a.equals(SAM) ? AgentProfile.Role.SUPERVISOR : AgentProfile.Role.AGENT;
      ask(r -> new Agent.SetProfile(new AgentProfile(Map.of("*", a.equals(ALICE) ? 2 : 3), Map.of(), Set.of("en"),
          role), r), a, true);
      ask(r -> new Agent.SetPresence(Presence.ONLINE, r), a, true);
    }
    Outcome configured = ask(Team.ENTITY_TYPE_KEY, TEAM, (ActorRef<Outcome> r) -> new Team.Configure(
        TeamConfig.of(List.of(ALICE, BOB, CAROL), StrategyKind.ROUND_ROBIN, Duration.ofSeconds(10))
            .withEscalation(EscalationTarget.supervisor(SAM), 1), r));
    say("team: " + configured.message());

    List<String> convs = new ArrayList<>();
    for (int n = 1; n <= 5; n++) {
      int i = n;
      String conv = EntityIds.conversationId(T, "whatsapp", "+5511900000" + i);
      convs.add(conv);
      Outcome o = ask(Conversation.ENTITY_TYPE_KEY, conv, (ActorRef<Outcome> r) ->
          new Conversation.Inbound("wamid." + i, "Hi, I need help with order " + i, RoutingHint.toTeam(TEAM), r));
      say("contact " + i + " writes: " + o.message());
    }
    boolean samClaimed = false;
    while (elapsed() < 32) {
      for (String conv : convs) {
        Conversation.State s = view(conv).state();
        String key = s.status() + "/" + s.agentId();
        if (!key.equals(lastSeen.put(conv, key))) {
          say(short_(conv) + " → " + s.status() + (s.agentId() != null ? " with " + name(s.agentId()) : "")
              + (s.reason() != null ? " (" + s.reason() + ")" : ""));
        }
        if (s.status() == Conversation.Status.ASSIGNED && !s.answered() && answers(s.agentId())) {
          String agent = s.agentId();
          Outcome o = ask(Conversation.ENTITY_TYPE_KEY, conv, (ActorRef<Outcome> r) ->
              new Conversation.AgentReply(agent, "Hello, happy to help!", false, r));
          say(name(agent) + " replies on " + short_(conv) + ": " + o.message());
        }
        if (s.status() == Conversation.Status.ESCALATED && !samClaimed) {
          samClaimed = true;
          Outcome o = ask(r -> new Agent.Claim(conv, r), SAM, false);
          say("sam claims " + short_(conv) + ": " + o.message());
        }
      }
      TimeUnit.MILLISECONDS.sleep(500);
    }
    for (String a : List.of(ALICE, BOB, CAROL, SAM)) {
      Agent.View v = ask(Agent.ENTITY_TYPE_KEY, a, Agent.Get::new);
      say(name(a) + " holds " + v.state().holds().keySet().stream().map(Demo::short_).sorted().toList());
    }
    say("done: every conversation was assigned, answered, re-routed or escalated; none was lost");
  }

  private boolean answers(String agent) {
    return agent.equals(ALICE) || agent.equals(SAM) || (agent.equals(BOB) && elapsed() < 8);
  }

  private <M, R> R ask(org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey<M> key, String id,
      Function<ActorRef<R>, M> cmd) {
    return await(ClusterSharding.get(system).entityRefFor(key, id).ask(cmd::apply, Duration.ofSeconds(10)));
  }

  private Conversation.View view(String conv) {
    return ask(Conversation.ENTITY_TYPE_KEY, conv, Conversation.Get::new);
  }

  private Outcome ask(Function<ActorRef<Outcome>, Agent.Command> cmd, String agent, boolean mustSucceed) {
    Outcome o = ask(Agent.ENTITY_TYPE_KEY, agent, cmd);
    if (mustSucceed && !o.ok()) throw new IllegalStateException(agent + ": " + o);
    return o;
  }

  private static void deleteRecursively(Path dir) throws java.io.IOException {
    if (!Files.exists(dir)) return;
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
    }
  }

  private static <T> T await(CompletionStage<T> stage) {
    CompletableFuture<T> future = stage.toCompletableFuture();
    try {
      return future.get(15, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private double elapsed() {
    return (System.nanoTime() - start) / 1e9;
  }

  private void say(String line) {
    System.out.printf("[%5.1fs] %s%n", elapsed(), line);
  }

  private static String name(String id) {
    return id.substring(id.indexOf('/') + 1);
  }

  private static String short_(String conv) {
    return conv.substring(conv.indexOf('/') + 1);
  }
}
