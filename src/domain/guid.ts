/**
 * A GUID as Entra ID writes object, application and tenant IDs, and as this service makes its own
 * ids (UUIDs): hex in either case. The one pattern every check of one uses; no regex flags, so
 * that openapi.yaml carries it as written.
 */
export const GUID_PATTERN = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
