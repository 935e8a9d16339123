"""The safeguarding console on the web (`/console`): the leads' queue and each case's record and
actions, behind the school's own sign-in (000 §3: formal procedures; 004 strategies 9 and 13).

Everything it changes goes through the handlers chat and the command line use, so a case is
recorded and audited the same way whichever door a lead came in by.
"""
