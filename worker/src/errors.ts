import type { TEvent } from "../../shared/client-api.js";

/** An EventError with a T-Library errorCode and a message a person can act on. */
export function errorEvent(errorCode: number, errorMessage: string, thisDN?: string): TEvent {
  const event: TEvent = { event: "EventError", errorCode, errorMessage };
  if (thisDN) event.thisDN = thisDN;
  return event;
}
