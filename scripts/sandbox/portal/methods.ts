/** Every REST method the portal answers (§1.5), by name, each handed to its area. */
import { mBatch, type Method } from './batch.js';
import { mActivate, mDataSet, mList, mRegister, mSetError, mStatus, mUnregister } from './connectors.js';
import { mEventSend, mRobotAdd, mRobotDelete, mRobotList, mRobotUpdate } from './bizproc.js';
import { mContactFields } from './crm-fields.js';
import { mMessageStatusUpdate, mSenderAdd, mSenderDelete, mSenderList } from './messageservice.js';
import {
  mCategoryList,
  mContactAdd,
  mCrmAdd,
  mCrmGet,
  mDealContactItems,
  mFindByComm,
  mStatusList,
} from './crm.js';
import { mCompanyList, mContactList, mDealGet, mDealList, mDealUpdate, mLeadList } from './crm-deals.js';
import { KNOWN_EVENTS, mEventBind, mEventGet, mEventUnbind } from './events.js';
import {
  mChatNameSet,
  mDeleteMessages,
  mSendMessages,
  mStatusDelivery,
  mStatusReading,
  mUpdateMessages,
} from './imconnector.js';
import { mDialogMessagesGet } from './dialog.js';
import { mNotifySystemAdd } from './notify.js';
import {
  mConfigGet,
  mConfigList,
  mCrmChatGet,
  mCrmMessageAdd,
  mImMessageAdd,
  mOperatorTransfer,
} from './openlines.js';
import {
  mAppInfo,
  mAppOptionGet,
  mAppOptionSet,
  mPlacementBind,
  mPlacementGet,
  mPlacementUnbind,
} from './placements.js';
import { mDepartmentGet, mProfile, mUserGet, userRecord } from './users.js';

export const METHODS: Record<string, Method> = {
  // Not in reference/bitrix24.md: department and CRM lists, shapes as Bitrix24's REST docs give them
  'department.get': mDepartmentGet,
  'crm.category.list': (_s, c) => mCategoryList(c),
  'crm.status.list': (_s, c) => mStatusList(c),
  'crm.contact.add': mContactAdd,
  'crm.lead.add': (s, c) => mCrmAdd(s, c, 'lead'),
  'crm.deal.add': (s, c) => mCrmAdd(s, c, 'deal'),
  'crm.duplicate.findbycomm': mFindByComm,
  'crm.contact.get': (s, c) => mCrmGet(s, c, 'contact'),
  'crm.lead.get': (s, c) => mCrmGet(s, c, 'lead'),
  'crm.lead.list': mLeadList,
  'crm.contact.list': mContactList,
  'imopenlines.operator.transfer': mOperatorTransfer,
  'imopenlines.crm.chat.get': mCrmChatGet,
  'imopenlines.crm.message.add': mCrmMessageAdd,
  'crm.deal.contact.items.get': mDealContactItems,
  'crm.deal.get': mDealGet,
  'crm.deal.list': mDealList,
  'crm.deal.update': mDealUpdate,
  'crm.company.list': mCompanyList,
  // §5.9 automation rules (shapes and errors as b24restdocs bizproc/bizproc-robot/*.md)
  'bizproc.robot.add': mRobotAdd,
  'bizproc.robot.update': mRobotUpdate,
  'bizproc.robot.list': mRobotList,
  'bizproc.robot.delete': mRobotDelete,
  'bizproc.event.send': mEventSend,
  // §5.9 SMS provider (shapes and errors as b24restdocs messageservice/*.md)
  'messageservice.sender.add': mSenderAdd,
  'messageservice.sender.list': mSenderList,
  'messageservice.sender.delete': mSenderDelete,
  'messageservice.message.status.update': mMessageStatusUpdate,
  'crm.contact.fields': (_s, c) => mContactFields(c),
  // §6 basics
  profile: (_s, c) => mProfile(c),
  'user.admin': (_s, c) => ({ result: c.user.ADMIN }),
  'user.current': (_s, c) => ({ result: userRecord(c.user) }),
  'user.get': (s, c) => mUserGet(s, c, false),
  'user.search': (s, c) => mUserGet(s, c, true),
  'app.info': (s, c) => mAppInfo(s, c),
  'app.option.set': mAppOptionSet,
  'app.option.get': mAppOptionGet,
  batch: (s, c) => mBatch(s, c, METHODS),
  // §2.1 events
  'event.bind': mEventBind,
  'event.unbind': mEventUnbind,
  'event.get': (s) => mEventGet(s),
  events: () => ({ result: [...KNOWN_EVENTS] }),
  // §6.3 placements
  'placement.bind': mPlacementBind,
  'placement.unbind': mPlacementUnbind,
  'placement.get': (s) => mPlacementGet(s),
  // §3 imconnector
  'imconnector.register': mRegister,
  'imconnector.unregister': mUnregister,
  'imconnector.list': mList,
  'imconnector.activate': mActivate,
  'imconnector.status': mStatus,
  'imconnector.connector.data.set': mDataSet,
  'imconnector.set.error': mSetError,
  'imconnector.send.messages': mSendMessages,
  'imconnector.update.messages': mUpdateMessages,
  'imconnector.delete.messages': mDeleteMessages,
  'imconnector.send.status.delivery': mStatusDelivery,
  'imconnector.send.status.reading': mStatusReading,
  'imconnector.chat.name.set': mChatNameSet,
  // §5 imopenlines
  'imopenlines.config.list.get': mConfigList,
  'imopenlines.config.get': mConfigGet,
  'im.message.add': mImMessageAdd,
  // Not in reference/bitrix24.md: system notifications (notify.ts)
  'im.notify.system.add': mNotifySystemAdd,
  // Not in reference/bitrix24.md: b24restdocs chats/messages/im-dialog-messages-get.md
  'im.dialog.messages.get': mDialogMessagesGet,
};
