export { reconcileCoupon, type ReconcileDeps, type ReconcileOptions, type ReconcileReport } from './reconcile.js';
export { RECONCILE_STORES_ENV, reconcileStoresSchema } from './stores.js';
