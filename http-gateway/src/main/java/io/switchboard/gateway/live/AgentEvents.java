package io.switchboard.gateway.live;

import io.switchboard.CborSerializable;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.pubsub.Topic;

/**
 * One per node, started with the node: its streams' subscriptions and the node's end of the one
 * cluster-wide {@code agent-feed} topic, which carries hints ({@link Changed}: these agents' logs got
 * lines) and the non-durable {@code window_closing} lines ({@link Live}). Subscribing to the topic at
 * start, not at a first publish, lets the receptionist tell every node of every other long before
 * the first event; a hint lost anyway only delays a stream to its next poll (the durable log is
 * {@code sb_agent_event}, see {@link AgentStream}).
 */
public final class AgentEvents {
  private AgentEvents() {}

  public static final String TOPIC = "agent-feed";

  public sealed interface Command {}

  /** What crosses the cluster on the topic, and what a stream is told. */
  public sealed interface Feed extends CborSerializable {}

  /** The live-stream logs of these agents got lines: streams query them. */
  public record Changed(List<String> agents) implements Feed {}

  /** A line that is not in the log (window_closing), for the streams of {@code agentId}. */
  public record Live(String agentId, AgentEvent event) implements Feed {}

  /** Publishes on the topic (to every node, this one included). */
  public record Publish(Feed feed) implements Command {}

  /** A stream of {@code agentId} on this node; forgotten when it stops. */
  public record Subscribe(String agentId, ActorRef<Feed> subscriber) implements Command {}

  private record Received(Feed feed) implements Command {}

  private record Stopped(String agentId, ActorRef<Feed> subscriber) implements Command {}

  public static Behavior<Command> create() {
    return Behaviors.setup(ctx -> {
      ActorRef<Topic.Command<Feed>> topic = ctx.spawn(Topic.create(Feed.class, TOPIC), "topic");
      topic.tell(Topic.subscribe(ctx.messageAdapter(Feed.class, Received::new)));
      Map<String, Set<ActorRef<Feed>>> streams = new HashMap<>();
      return Behaviors.receive(Command.class)
          .onMessage(Publish.class, p -> {
            topic.tell(Topic.publish(p.feed()));
            return Behaviors.same();
          })
          .onMessage(Subscribe.class, s -> {
            streams.computeIfAbsent(s.agentId(), a -> new HashSet<>()).add(s.subscriber());
            ctx.watchWith(s.subscriber(), new Stopped(s.agentId(), s.subscriber()));
            return Behaviors.same();
          })
          .onMessage(Stopped.class, s -> {
            Set<ActorRef<Feed>> of = streams.get(s.agentId());
            if (of != null && of.remove(s.subscriber()) && of.isEmpty()) streams.remove(s.agentId());
            return Behaviors.same();
          })
          .onMessage(Received.class, r -> {
            if (r.feed() instanceof Changed c) {
              for (String agent : c.agents()) {
                streams.getOrDefault(agent, Set.of()).forEach(s -> s.tell(c));
              }
            } else if (r.feed() instanceof Live l) {
              streams.getOrDefault(l.agentId(), Set.of()).forEach(s -> s.tell(l));
            }
            return Behaviors.same();
          })
          .build();
    });
  }
}
