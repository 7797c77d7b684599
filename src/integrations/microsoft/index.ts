/** Microsoft Entra ID + Graph behind the domain's MicrosoftGateway port. */
export {
  createMicrosoftGateway,
  UnknownOrganizerError,
  type CredentialFailure,
  type GraphMicrosoftGateway,
  type MicrosoftGatewayOptions,
} from './graph-gateway';
export { endpointsFor, type CloudEndpoints } from './clouds';
export { ACCESS_POLICY_NAME, accessPolicyRemediation, REQUIRED_PERMISSIONS } from './graph-errors';
