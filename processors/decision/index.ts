export { decidePolicy, expectedMove, exitPrices, kellySize, type DecisionPolicy, type PolicyDecision, type PolicyInput, type PolicyMarket } from './policy.ts';
export { fitPolicy, DEFAULT_POLICY_OPTIONS, type PolicyFitData, type PolicyFitSummary, type PolicyOptions } from './fit-policy.ts';
export { DEFAULT_CONTRACT_RULE, premiumOf, selectContract, type ContractChoice, type ContractRule } from './contract.ts';
