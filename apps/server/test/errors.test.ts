import { describe, expect, it } from 'vitest';
import { BusUnavailableError as FromBus, RoomLimitError as LimitFromBus } from '../src/bus/bus.js';
import { RoomRefusedError as FromRoomCommands } from '../src/bus/room-commands.js';
import { ConfigError as FromConfig } from '../src/config.js';
import {
  ALL_SERVER_ERROR_CODES,
  BusUnavailableError,
  ConfigError,
  HistoryStoreError,
  ModerationError,
  RoomLimitError,
  RoomRefusedError,
  ServerErrorCodes,
} from '../src/errors.js';

describe('server errors (errors.ts)', () => {
  const errors = [
    new ConfigError('port must be an integer'),
    new BusUnavailableError('redis unavailable'),
    new RoomLimitError(),
    new RoomRefusedError('muted'),
    new HistoryStoreError('HISTORY_LOCKED'),
    new ModerationError('FILTER_TERMS_UNREADABLE'),
  ];

  it('gives every error a stable code from one list, and a name of its class', () => {
    for (const err of errors) {
      expect(ALL_SERVER_ERROR_CODES).toContain(err.code);
      expect(err.name).toBe(err.constructor.name);
      expect(err).toBeInstanceOf(Error);
    }
    expect(Object.keys(ServerErrorCodes).sort()).toEqual(
      ['BUS_UNAVAILABLE', 'CONFIG_INVALID', 'ROOM_LIMIT', 'ROOM_REFUSED'].sort(),
    );
    expect(new Set(ALL_SERVER_ERROR_CODES).size).toBe(ALL_SERVER_ERROR_CODES.length);
  });

  it('is the same class wherever it is imported from (the old homes re-export it)', () => {
    expect(FromBus).toBe(BusUnavailableError);
    expect(LimitFromBus).toBe(RoomLimitError);
    expect(FromRoomCommands).toBe(RoomRefusedError);
    expect(FromConfig).toBe(ConfigError);
  });

  it('keeps a room refusal as its protocol code, and the refusal as the message unless the room said more', () => {
    expect(new RoomRefusedError('banned')).toMatchObject({ refusal: 'banned', message: 'banned' });
    expect(new RoomRefusedError('slow_mode', 'wait 3 s')).toMatchObject({ refusal: 'slow_mode', message: 'wait 3 s' });
  });
});
