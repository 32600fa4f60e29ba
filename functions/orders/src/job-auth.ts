// The job-token guard is shared with reconcile (one implementation, in @couponkill/auth).
export { isJobToken, jobGuard } from '@couponkill/auth';
