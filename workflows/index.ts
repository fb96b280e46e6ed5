// Every workflow the worker registers. One file per automation kind.
export { orderConfirmationWorkflow } from './order-confirmation';
export { welcomeWorkflow } from './welcome';
export { abandonedCartWorkflow } from './abandoned-cart';
export { customEventWorkflow } from './custom-event';
export { doubleOptInWorkflow } from './double-opt-in';
export { campaignWorkflow } from './campaign';
export { campaignRangeWorkflow } from './campaign-range';
