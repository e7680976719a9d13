/** The drivers by name (`--driver`). */
import type { Driver, DriverName } from './driver.js';
import { loopchatDriver, naiveNetDriver, naiveWsDriver } from './loopchat.js';
import { noneDriver } from './none.js';
import { socketIoDriver } from './socketio.js';

export const DRIVERS: Readonly<Record<DriverName, Driver>> = {
  loopchat: loopchatDriver,
  'naive-ws': naiveWsDriver,
  'naive-net': naiveNetDriver,
  socketio: socketIoDriver,
  none: noneDriver,
};

export function isDriverName(name: string): name is DriverName {
  return Object.hasOwn(DRIVERS, name);
}
