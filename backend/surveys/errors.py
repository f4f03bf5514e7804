"""The survey domain's error codes."""

from backend.errors import define

SurveyClosed = define(
    "survey_closed", 409, "该问卷当前不在填写时间内", "The survey is not open for answers now"
)
SurveyAlreadyAnswered = define(
    "survey_already_answered",
    409,
    "该学生的家庭已经填写过这份问卷",
    "This pupil's family has already answered the survey",
)
SurveyNotEnrolled = define(
    "survey_not_enrolled",
    403,
    "该学生未参加本学期课后服务，无需填写本问卷",
    "The pupil is not enrolled in the survey's term",
)
CourseNotTaken = define(
    "course_not_taken",
    422,
    "该学生本学期没有参加这门课程",
    "The pupil did not take this course in the term",
)
InvalidAnswers = define(
    "invalid_answers", 422, "问卷答案不完整或有误，请检查", "The answers are incomplete or invalid"
)
InvalidSurvey = define("invalid_survey", 422, "问卷设置有误，请检查", "The survey is not valid")
