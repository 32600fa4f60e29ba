// Entry point of the grab-coupon image: registers the function with functions-framework.
import { http } from '@google-cloud/functions-framework';
import { loadOrExit } from '@couponkill/config';
import { createGrabCoupon, FUNCTION_NAME } from './app.js';
import { loadGrabCouponConfig } from './config.js';

const app = await createGrabCoupon(loadOrExit(() => loadGrabCouponConfig()));
http(FUNCTION_NAME, app.handler);
