export { ProviderErrorType, providerFailure } from './errors';
export type { ProbeResult, Provider, RegionName } from './provider';
export type { EndpointHealth, ServingState, TrafficProvider } from './traffic';
export type { DatabaseProvider, NodeStatus } from './database';
export type { RebuildProvider, RebuildResult } from './rebuild';
export type { ServiceHealth, ServiceMode, ServiceModeProvider } from './service-mode';
