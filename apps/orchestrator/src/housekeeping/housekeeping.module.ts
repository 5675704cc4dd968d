// The singleton job under a lease (pruning the reply inbox).
import { Module } from '@nestjs/common';
import { Housekeeper } from './housekeeper.service';

@Module({ providers: [Housekeeper] })
export class HousekeepingModule {}
