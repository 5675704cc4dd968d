/** Injection token of the `CompiledOrchestratorConfig` the app was built with. */
export const ORCHESTRATOR_CONFIG = Symbol('ORCHESTRATOR_CONFIG');
