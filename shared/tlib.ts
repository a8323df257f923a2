// T-Library vocabulary: the names, enums and error codes of Genesys T-Library (7.x), as JSON uses them.
// Requests and events keep their T-Library names; attributes drop the "Attribute" prefix.

export const RequestNames = [
  "RequestRegisterAddress",
  "RequestUnregisterAddress",
  "RequestQueryAddress",
  "RequestAgentLogin",
  "RequestAgentLogout",
  "RequestAgentReady",
  "RequestAgentNotReady",
  "RequestSetDNDOn",
  "RequestSetDNDOff",
  "RequestMakeCall",
  "RequestAnswerCall",
  "RequestReleaseCall",
  "RequestHoldCall",
  "RequestRetrieveCall",
  "RequestInitiateConference",
  "RequestCompleteConference",
  "RequestDeleteFromConference",
  "RequestInitiateTransfer",
  "RequestMuteTransfer",
  "RequestSingleStepTransfer",
  "RequestCompleteTransfer",
  "RequestAlternateCall",
  "RequestReconnectCall",
  "RequestAttachUserData",
  "RequestUpdateUserData",
  "RequestDeleteUserData",
  "RequestRouteCall",
  "RequestRedirectCall",
  "RequestQueryCall",
  "RequestClearCall",
  "RequestSingleStepConference",
  "RequestMonitorNextCall",
  "RequestCancelMonitoring",
] as const;
export type RequestName = (typeof RequestNames)[number];

/** T-Library message ids, for reference and for clients that log numbers. */
export const RequestIds: Record<RequestName, number> = {
  RequestQueryAddress: 2,
  RequestRegisterAddress: 3,
  RequestUnregisterAddress: 4,
  RequestAgentLogin: 8,
  RequestAgentLogout: 9,
  RequestAgentReady: 10,
  RequestAgentNotReady: 11,
  RequestSetDNDOn: 12,
  RequestSetDNDOff: 13,
  RequestMakeCall: 14,
  RequestAnswerCall: 16,
  RequestReleaseCall: 17,
  RequestHoldCall: 18,
  RequestRetrieveCall: 19,
  RequestInitiateConference: 20,
  RequestCompleteConference: 21,
  RequestDeleteFromConference: 22,
  RequestInitiateTransfer: 23,
  RequestMuteTransfer: 24,
  RequestSingleStepTransfer: 25,
  RequestCompleteTransfer: 26,
  RequestAlternateCall: 28,
  RequestReconnectCall: 29,
  RequestAttachUserData: 30,
  RequestUpdateUserData: 31,
  RequestDeleteUserData: 32,
  RequestRouteCall: 36,
  RequestRedirectCall: 103,
  RequestQueryCall: 108,
  RequestClearCall: 110,
  RequestSingleStepConference: 120,
  RequestMonitorNextCall: 139,
  RequestCancelMonitoring: 140,
};

export const EventIds = {
  EventError: 52,
  EventRegistered: 53,
  EventUnregistered: 54,
  EventQueued: 57,
  EventDiverted: 58,
  EventAbandoned: 59,
  EventRinging: 60,
  EventDialing: 61,
  EventNetworkReached: 62,
  EventDestinationBusy: 63,
  EventEstablished: 64,
  EventReleased: 65,
  EventHeld: 66,
  EventRetrieved: 67,
  EventPartyChanged: 68,
  EventPartyAdded: 69,
  EventPartyDeleted: 70,
  EventRouteRequest: 71,
  EventRouteUsed: 72,
  EventAgentLogin: 73,
  EventAgentLogout: 74,
  EventAgentReady: 75,
  EventAgentNotReady: 76,
  EventDNDOn: 77,
  EventDNDOff: 78,
  EventAttachedDataChanged: 85,
  EventAddressInfo: 92,
  EventPartyInfo: 93,
  EventLinkDisconnected: 94,
  EventLinkConnected: 95,
  EventUserEvent: 96,
  EventRemoteConnectionSuccess: 101,
  EventRemoteConnectionFailed: 102,
  EventHardwareError: 117,
  EventAgentAfterCallWork: 118,
  EventPrimaryChanged: 133,
  EventACK: 138,
  EventMonitoringNextCall: 141,
  EventMonitoringCancelled: 142,
  EventDNOutOfService: 147,
  EventDNBackInService: 148,
} as const;
export type EventName = keyof typeof EventIds;

export const DNRole = {
  Unknown: 0,
  Origination: 1,
  Destination: 2,
  ConferenceMember: 3,
  NewParty: 4,
  AddedBy: 5,
  DeletedBy: 6,
  TransferredBy: 7,
  DeletedParty: 8,
  ConferencedBy: 9,
  Observer: 10,
} as const;
export type DNRole = (typeof DNRole)[keyof typeof DNRole];

export const AgentWorkMode = {
  Unknown: 0,
  ManualIn: 1,
  AutoIn: 2,
  AfterCallWork: 3,
  AuxWork: 4,
  NoCallDisconnect: 5,
  WalkAway: 6,
  ReturnBack: 7,
} as const;
export type AgentWorkMode = (typeof AgentWorkMode)[keyof typeof AgentWorkMode];

export const CallType = { Unknown: 0, Internal: 1, Inbound: 2, Outbound: 3, Consult: 4 } as const;
export type CallType = (typeof CallType)[keyof typeof CallType];

export const AddressType = { DN: 1, Position: 2, Queue: 3, RouteDN: 4, Trunk: 5 } as const;
export const RegisterMode = { Share: 0, Private: 1, Monitor: 2 } as const;
export const MonitorNextCallType = { OneCall: 0, AllCalls: 1 } as const;
export const ServerRole = { Primary: 0, Backup: 1 } as const;

export const CallState = {
  Ok: 0,
  Transferred: 1,
  Conferenced: 2,
  Busy: 6,
  NoAnswer: 7,
  Redirected: 22,
  Held: 50,
} as const;
export type CallState = (typeof CallState)[keyof typeof CallState];

/** AddressStatus in EventAddressInfo (RequestQueryAddress). */
export const AddressStatus = {
  Idle: 0,
  Origination: 1,
  Dialing: 2,
  Talking: 3,
  Ringing: 4,
  Held: 5,
  Maintenance: 8,
  Available: 9,
} as const;
export type AddressStatus = (typeof AddressStatus)[keyof typeof AddressStatus];

/** errorCode values of EventError. */
export const ErrorCode = {
  NoMoreLicence: 40,
  DNNotRegistered: 41,
  ResourceSeized: 42,
  AlreadyInState: 43,
  Unknown: 50,
  UnsupportedOperation: 51,
  InternalError: 52,
  InvalidAttribute: 53,
  NoSwitchLink: 54,
  ProtocolVersion: 55,
  InvalidConnID: 56,
  Timeout: 57,
  OutOfService: 58,
  DNNotConfigured: 59,
  DNDoesNotExist: 123,
  TargetDNInvalid: 177,
  DNBusy: 231,
  NoAnswer: 232,
  CallRejected: 233,
  InvalidDestinationDN: 415,
  NoSuchServer: 1000,
  RemoteServerDisconnected: 1001,
  /** ISCC: the link of the location's T-Server (here: the location site's link) is down. */
  RemoteLinkDisconnected: 1004,
  NoPrimaryAtLocation: 1011,
  BadLocation: 1012,
  /** ISCC: the transaction's time expired (nothing arrived at the location in time). */
  TransactionTimeExpired: 1013,
  ClientNotAuthorized: 1016,
  BadDestinationDN: 1021,
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** DN object types of Configuration Server that this T-Server serves. */
export const DnTypes = ["Extension", "ACDPosition", "RoutingPoint"] as const;
export type DnType = (typeof DnTypes)[number];

/** Switch-specific type 2 marks a CTI port (Extension) used as a temporary supervisor DN. */
export const SwitchSpecificType = { CtiPort: 2 } as const;

/** A 16-hex-digit connection id, stable for the life of a call on one site. */
export const CONN_ID_PATTERN = /^[0-9a-f]{16}$/;
