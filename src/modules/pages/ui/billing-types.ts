/**
 * What the Billing tab and the operator page read from the API (issue 12). The contract of the
 * routes that exist is checked against their services in ../api-contract.ts; checkout, orders and
 * the billing settings are built elsewhere, against the contract written here.
 */

export interface Lot {
  id: number;
  units: number;
  remaining: number;
  expiresAt: string;
  orderId: number | null;
}

export interface Balance {
  available: number;
  reserved: number;
  debt: number;
  nextExpiry: string | null;
  lots: Lot[];
}

export interface Pack {
  id: number;
  name: string;
  messages: number;
  priceMinor: number;
  currency: string;
  validityDays: number;
}

export interface Offer {
  packs: Pack[];
}

export interface Consumption {
  days: string[];
  series: Array<{ channelId: string | null; name: string | null; units: number[] }>;
  total: number;
}

export type Provider = 'stripe' | 'paypal';

export interface CheckoutStarted {
  orderId: number | string;
  redirectUrl: string;
}

export interface Order {
  id: number | string;
  kind: string;
  description: string | null;
  provider: string;
  status: string;
  amount: number;
  currency: string;
  units: number | null;
  createdAt: string;
  paidAt: string | null;
  receiptUrl: string | null;
}

export interface BillingSettings {
  lowBalanceThreshold: number | null;
}

/** A pack as the operator sees it: inactive ones too. */
export interface OperatorPack extends Pack {
  active: boolean;
}

export interface SubscriptionPrice {
  currency: string;
  months: number;
  priceMinor: number;
}
