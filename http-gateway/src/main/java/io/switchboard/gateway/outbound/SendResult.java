package io.switchboard.gateway.outbound;

/**
 * How a {@link ChannelConnector#send} ended. Never an exception: a timeout or an unreachable
 * connector is a result with {@code ok == false}, {@code status == 0} and the reason.
 *
 * @param ok whether the connector accepted the message (a 2xx)
 * @param status the connector's last HTTP status; 0 when no response came
 * @param providerMessageId the message's id at the provider ({@code "id"} of the response), if given
 * @param error why the message was not accepted; null when it was
 */
public record SendResult(boolean ok, int status, String providerMessageId, String error) {

  static SendResult accepted(int status, String providerMessageId) {
    return new SendResult(true, status, providerMessageId, null);
  }

  static SendResult failed(int status, String error) {
    return new SendResult(false, status, null, error);
  }
}
