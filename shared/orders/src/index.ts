export { locateUser, type OrderLocation, type OrderSharding, orderShardingSchema } from './sharding.js';
export {
  type NewOrder,
  type Order,
  ORDER_INSERT_COLUMNS,
  orderInsertRow,
  type OrderStatus,
  OrderStore,
} from './store.js';
