export { startSandboxStripe, type SandboxStripe, type SandboxStripeOptions } from './server.js';
export { signatureHeader, type StripeEvent } from './webhooks.js';
