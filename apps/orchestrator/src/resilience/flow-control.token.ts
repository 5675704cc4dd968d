/** Injection token of the `FlowControlOptions` (breaker, bulkhead, retry budget) the app runs with. */
export const FLOW_CONTROL_OPTIONS = Symbol('FLOW_CONTROL_OPTIONS');
