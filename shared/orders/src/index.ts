export { locateUser, type OrderLocation, type OrderSharding, orderShardingSchema } from './sharding.js';
export { type NewOrder, type Order, type OrderStatus, OrderStore } from './store.js';
