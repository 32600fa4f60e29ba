// Entry point of the grab-coupon image: registers the function with functions-framework.
import { serveFunction } from '@couponkill/runtime';
import { createGrabCoupon, FUNCTION_NAME } from './app.js';
import { loadGrabCouponConfig } from './config.js';

await serveFunction(FUNCTION_NAME, loadGrabCouponConfig, createGrabCoupon);
